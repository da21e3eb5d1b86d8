"""The control's hooks in-process, called as Chaos Toolkit calls them: phases, fail closed,
evidence.

Real session, watcher, ledger and scope lock; the SLO is a Python callable reading a number the test
writes. The same runs through ``chaos run`` are in ``tests/e2e/test_guard_run.py``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from chaoslib.exceptions import InterruptExecution

from chaosguard.guard import control
from chaosguard.guard.session import GuardSession, Phase
from tests.helpers import wait_until

WAIT = "tests.guard_values"


def _activity(kind: str, name: str) -> dict[str, Any]:
    return {
        "type": kind,
        "name": name,
        "provider": {"type": "python", "module": WAIT, "func": "wait", "arguments": {"seconds": 0}},
    }


PROBE, ACTION, ROLLBACK = (
    {**_activity("probe", "look"), "tolerance": 0},  # a valid experiment: the preflight checks it
    _activity("action", "act"),
    _activity("action", "undo"),
)
EXPERIMENT: dict[str, Any] = {
    "title": "in-process guarded run",
    "description": "hooks",
    "steady-state-hypothesis": {"title": "h", "probes": [PROBE]},
    "method": [ACTION],
    "rollbacks": [ROLLBACK],
    "extensions": [
        {
            "name": "chaosguard",
            "policy": {"guard": {"interval_s": 0.1}},
            "guards": [
                {"name": "value", "source": "python", "func": f"{WAIT}:read_value", "max": 10}
            ],
        }
    ],
}
SECTION_KEYS = [
    "version",
    "run_id",
    "outcome",
    "reason",
    "policy_digest",
    "policy",
    "guards",
    "interval_s",
    "preflight",
    "readings",
    "baselines",
    "breach",
    "rollbacks_played_by_guard",
    "steady_state_after_abort",
    "leftovers_reverted",
    "ledger",
    "injected",
    "lock",
    "canary",
]


@pytest.fixture(autouse=True)
def value_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "value.txt"
    path.write_text("1")
    monkeypatch.setenv("CG_TEST_VALUE_FILE", str(path))
    operator = tmp_path / "operator.yaml"  # lets the helper guard and actions of these tests in
    operator.write_text(f"guard: {{python_modules: [{WAIT}]}}\nactions: {{allow: [{WAIT}.wait]}}\n")
    monkeypatch.setenv("CHAOSGUARD_POLICY", str(operator))
    monkeypatch.delenv("CHAOSGUARD_PUBLISHERS", raising=False)
    monkeypatch.chdir(tmp_path)
    return path


@pytest.fixture()
def phases(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every ``GuardSession.enter`` call as ``(phase, accepted)``; the session forgotten after."""
    seen: list[tuple[Phase, bool]] = []
    enter = GuardSession.enter

    def spy(self: GuardSession, phase: Phase) -> bool:
        accepted = enter(self, phase)
        seen.append((phase, accepted))
        return accepted

    monkeypatch.setattr(GuardSession, "enter", spy)
    yield seen
    control.cleanup_control()


def _journal(**fields: Any) -> dict[str, Any]:
    return {"status": "completed", "deviated": False, "run": [], **fields}


def _start(experiment: dict[str, Any] = EXPERIMENT) -> None:
    control.configure_control(experiment=experiment)
    control.before_experiment_control(experiment)


def test_a_met_run_walks_every_phase_and_leaves_the_evidence(
    phases: list[tuple[Phase, bool]], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="chaostoolkit"):
        _start()
        for activity in (PROBE, ACTION, PROBE, ROLLBACK):
            control.before_activity_control(activity, experiment=EXPERIMENT)
        journal = _journal(steady_states={"before": {"steady_state_met": True}})
        control.after_experiment_control(EXPERIMENT, state=journal)
        control.after_experiment_control(EXPERIMENT, state=journal)  # wired twice: once
        control.cleanup_control()
    assert caplog.records == []
    P = Phase
    assert phases == [
        (P.PREFLIGHT, True),
        (P.WATCHING, True),
        (P.METHOD, True),
        (P.ROLLBACKS, True),
        (P.ENDED, True),
        (P.FINISHED, True),
    ]
    assert journal["status"] == "completed"
    section = journal["chaosguard"]
    assert list(section) == SECTION_KEYS
    assert section["outcome"] == "met" and type(json.loads(json.dumps(section))["outcome"]) is str
    assert section["reason"] is None and section["breach"] is None
    assert section["policy"]["guard"]["interval_s"] == 0.1 and section["interval_s"] == 0.1
    canonical = json.dumps(section["policy"], sort_keys=True).encode()
    assert section["policy_digest"] == "sha256:" + hashlib.sha256(canonical).hexdigest()
    assert [g["name"] for g in section["guards"]] == ["value"]
    assert [r["value"] for r in section["preflight"]] == [1.0]
    assert section["lock"]["scope"].startswith("host:") and section["lock"]["took_over"] is None
    assert section["leftovers_reverted"] == [] and section["ledger"] == []


def test_a_refused_preflight_ends_and_finishes(
    phases: list[tuple[Phase, bool]], value_file: Path
) -> None:
    value_file.write_text("50")
    with pytest.raises(InterruptExecution, match="already breached"):
        _start()
    journal = _journal(status="interrupted")
    control.after_experiment_control(EXPERIMENT, state=journal)
    assert [p for p, ok in phases if ok] == [Phase.PREFLIGHT, Phase.ENDED, Phase.FINISHED]
    assert journal["status"] == "failed" and journal["chaosguard"]["outcome"] == "refused"
    assert (
        "SLO 'value' is already breached before any fault: 50" in (journal["chaosguard"]["reason"])
    )


def test_a_check_that_crashes_refuses_the_action(
    phases: list[tuple[Phase, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail closed: Chaos Toolkit swallows any other exception: the action would run unchecked."""

    def crash(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("chaosguard.guard.session.check_activity", crash)
    _start()
    reason = "guard check of action 'act' failed: RuntimeError: boom"
    with pytest.raises(InterruptExecution) as info:
        control.before_activity_control(ACTION, experiment=EXPERIMENT)
    assert str(info.value) == f"chaosguard: {reason}"
    with pytest.raises(InterruptExecution, match="'undo' failed: RuntimeError: boom"):
        control.before_activity_control(ROLLBACK, experiment=EXPERIMENT)  # rollbacks are judged too
    journal = _journal(status="interrupted")
    control.after_experiment_control(EXPERIMENT, state=journal)
    assert journal["chaosguard"]["outcome"] == "refused"
    assert journal["chaosguard"]["reason"] == reason


def test_an_abort_between_two_actions_stays_an_abort(
    phases: list[tuple[Phase, bool]], value_file: Path
) -> None:
    """The guard breaches after one action and before the next: the next is refused, yet the run
    is ``aborted`` (not ``refused``/``failed``), with the breach as its reason."""
    _start()
    control.before_activity_control(ACTION, experiment=EXPERIMENT)
    value_file.write_text("50")
    session = control._current()
    assert wait_until(lambda: session.breach is not None, timeout=10)
    with pytest.raises(InterruptExecution, match="guard 'value' aborted this run"):
        control.before_activity_control(ACTION, experiment=EXPERIMENT)
    control.before_activity_control(ROLLBACK, experiment=EXPERIMENT)  # rollbacks still run
    journal = _journal(status="interrupted")
    control.after_experiment_control(EXPERIMENT, state=journal)
    section = journal["chaosguard"]
    assert journal["status"] == "aborted" and section["outcome"] == "aborted"
    assert section["reason"].startswith("guard 'value' breached: ")
    assert section["breach"]["guard"] == "value"


def test_cleanup_without_the_after_hook_stops_and_releases(
    phases: list[tuple[Phase, bool]],
) -> None:
    _start()
    control.cleanup_control()
    assert [p for p, _ in phases] == [Phase.PREFLIGHT, Phase.WATCHING, Phase.ENDED]
    _start(copy.deepcopy(EXPERIMENT))  # the scope lock was released: the next run may start
    assert [p for p, _ in phases][-2:] == [Phase.PREFLIGHT, Phase.WATCHING]


def test_a_bad_configuration_refuses_at_preflight(phases: list[tuple[Phase, bool]]) -> None:
    doc = copy.deepcopy(EXPERIMENT)
    doc["extensions"][0]["policy"] = {"guard": {"interval_s": "often"}}
    with pytest.raises(InterruptExecution) as info:
        _start(doc)
    assert str(info.value) == (
        "chaosguard refused to run: guard configuration is invalid: invalid argument "
        "'extensions.chaosguard.policy.guard.interval_s': expected a number (got 'often')"
    )
