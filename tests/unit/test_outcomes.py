"""The outcome enum (its exit codes) and :func:`outcome_of` on small Chaos Toolkit journals."""

from __future__ import annotations

from typing import Any

import pytest

from chaosguard.errors import ExitCode
from chaosguard.outcomes import FAILING, OUTCOMES, Outcome, outcome_of

OC = Outcome


@pytest.mark.parametrize(
    ("outcome", "value", "code"),
    [
        (OC.MET, "met", 0),
        (OC.DEVIATED, "deviated", 1),
        (OC.ABORTED, "aborted", 2),
        (OC.REFUSED, "refused", 3),
        (OC.STEADY_STATE_UNMET, "steady-state-unmet", 3),
        (OC.ACTION_FAILED, "action-failed", 4),
        (OC.ROLLBACK_FAILED, "rollback-failed", 4),
        (OC.ERROR, "error", 4),
        (OC.SKIPPED, "skipped", 0),
    ],
)
def test_values_and_exit_codes(outcome: Outcome, value: str, code: int) -> None:
    assert outcome.value == value and f"{outcome}" == value
    assert outcome.exit_code == code and isinstance(outcome.exit_code, ExitCode)


def test_every_outcome_has_an_exit_code() -> None:
    assert {o.exit_code for o in Outcome} == set(ExitCode)


def test_failing_outcomes() -> None:
    assert [o for o in Outcome if o.failing] == [
        OC.DEVIATED,
        OC.ABORTED,
        OC.REFUSED,
        OC.ACTION_FAILED,
        OC.ROLLBACK_FAILED,
        OC.STEADY_STATE_UNMET,
    ]
    assert set(FAILING) == {o for o in Outcome if o.failing}
    assert not OC.ERROR.failing and not OC.SKIPPED.failing and not OC.MET.failing
    assert OC.SKIPPED not in OUTCOMES and set(OUTCOMES) == set(Outcome) - {OC.SKIPPED}


@pytest.mark.parametrize(
    ("text", "outcome"),
    [("met", OC.MET), ("steady-state-unmet", OC.STEADY_STATE_UNMET), ("nope", OC.ERROR)],
)
def test_parse(text: object, outcome: Outcome) -> None:
    assert Outcome.parse(text) is outcome


def test_parse_never_raises() -> None:
    assert Outcome.parse(None) is OC.ERROR and Outcome.parse(3) is OC.ERROR
    assert Outcome.parse(OC.ABORTED) is OC.ABORTED


def _run(name: str, kind: str, status: str, exception: list[str] | None = None) -> dict[str, Any]:
    run: dict[str, Any] = {"activity": {"type": kind, "name": name}, "status": status}
    if exception is not None:
        run["exception"] = exception
    return run


FAILED_ACTION = _run(
    "boom",
    "action",
    "failed",
    [
        "Traceback (most recent call last):\n",
        "chaoslib.exceptions.ActivityFailed: RuntimeError: no\n",
    ],
)
UNMET_BEFORE = {"before": {"steady_state_met": False}}


@pytest.mark.parametrize(
    ("journal", "refused", "aborted", "expected"),
    [
        ({"status": "completed", "deviated": False, "run": []}, None, False, (OC.MET, None)),
        ({}, None, False, (OC.MET, None)),  # no status at all: nothing went wrong
        ({"status": "completed", "deviated": True}, None, False, (OC.DEVIATED, None)),
        ({"status": "completed"}, "kill switch is on", False, (OC.REFUSED, "kill switch is on")),
        ({"status": "interrupted"}, None, True, (OC.ABORTED, None)),
        # a refusal outranks an abort, an abort outranks a failed action
        ({"status": "interrupted"}, "window closed", True, (OC.REFUSED, "window closed")),
        ({"status": "completed", "run": [FAILED_ACTION]}, None, True, (OC.ABORTED, None)),
        (
            {"status": "completed", "run": [FAILED_ACTION]},
            None,
            False,
            (OC.ACTION_FAILED, "action 'boom' failed: RuntimeError: no"),
        ),
        (
            {"status": "completed", "run": [_run("boom", "action", "failed")]},
            None,
            False,
            (OC.ACTION_FAILED, "action 'boom' failed: (no detail)"),
        ),
        (  # a failed probe is not a failed action
            {"status": "completed", "run": [_run("look", "probe", "failed", ["x"])]},
            None,
            False,
            (OC.MET, None),
        ),
        (
            {"status": "failed", "steady_states": UNMET_BEFORE},
            None,
            False,
            (
                OC.STEADY_STATE_UNMET,
                "the steady state was not met before the method; nothing was injected",
            ),
        ),
        (
            {"status": "completed", "steady_states": {"before": {"steady_state_met": True}}},
            None,
            False,
            (OC.MET, None),
        ),
        (
            {"status": "interrupted"},
            None,
            False,
            (OC.ERROR, "experiment ended with status interrupted"),
        ),
        ({"status": "aborted"}, None, False, (OC.ERROR, "experiment ended with status aborted")),
    ],
)
def test_outcome_of(
    journal: dict[str, Any],
    refused: str | None,
    aborted: bool,
    expected: tuple[Outcome, str | None],
) -> None:
    assert outcome_of(journal, refused, aborted) == expected


def test_a_failed_action_outranks_an_unmet_steady_state_and_a_deviation() -> None:
    journal = {
        "status": "failed",
        "deviated": True,
        "run": [_run("ok", "action", "succeeded"), FAILED_ACTION],
        "steady_states": UNMET_BEFORE,
    }
    assert outcome_of(journal, None, False)[0] is OC.ACTION_FAILED
    del journal["run"]
    assert outcome_of(journal, None, False)[0] is OC.STEADY_STATE_UNMET
    del journal["steady_states"]
    assert outcome_of(journal, None, False)[0] is OC.DEVIATED


def _run(kind: str, name: str, status: str = "failed") -> dict[str, Any]:
    return {
        "status": status,
        "activity": {"type": kind, "name": name},
        "exception": ["Traceback ...", "chaoslib.exceptions.ActivityFailed: bad kind 'abc'\n"],
    }


def test_a_failed_rollback_fails_the_run_and_outranks_a_failed_action() -> None:
    journal: dict[str, Any] = {
        "status": "completed",
        "run": [_run("action", "inject")],
        "rollbacks": [_run("action", "undo", "succeeded"), _run("action", "stop")],
    }
    outcome, reason = outcome_of(journal, None, False)
    assert outcome is OC.ROLLBACK_FAILED and outcome.failing and outcome.exit_code == 4
    assert reason == "rollback 'stop' failed: bad kind 'abc'"
    assert outcome_of(journal, "refused: x", False)[0] is OC.REFUSED
    assert outcome_of(journal, None, True)[0] is OC.ABORTED
    journal["rollbacks"] = [_run("probe", "look")]  # a failed probe is no failed rollback
    assert outcome_of(journal, None, False)[0] is OC.ACTION_FAILED


def test_nothing_was_injected_is_the_ledgers_word() -> None:
    journal: dict[str, Any] = {
        "status": "completed",
        "steady_states": {"before": {"steady_state_met": False}},
    }
    assert outcome_of(journal, None, False)[1] == (
        "the steady state was not met before the method; nothing was injected"
    )
    outcome, reason = outcome_of(journal, None, False, ["process-pause"])
    assert outcome is OC.STEADY_STATE_UNMET
    assert reason is not None and "nothing was injected" not in reason
    assert "1 fault(s) of this run (process-pause)" in reason
