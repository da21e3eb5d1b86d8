"""Classifying one ``chaos run`` from its journal and how it ended; the journals for the reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chaosguard.gameday.launch import ChaosRun
from chaosguard.gameday.results import ExperimentResult, classify, last_line

OK = ChaosRun(0, 1.0)
FAILED = ChaosRun(1, 1.0)


def journal(outcome: str, **guard: Any) -> dict[str, Any]:
    return {
        "experiment": {"title": "t"},
        "status": "completed",
        "deviated": outcome == "deviated",
        "chaosguard": {"outcome": outcome, "reason": None, **guard},
    }


@pytest.mark.parametrize(
    ("doc", "run", "expected"),
    [
        (journal("met"), OK, ("met", None)),
        (journal("deviated"), FAILED, ("deviated", "hypothesis not met after the method")),
        (journal("refused", reason="kill switch: ON"), FAILED, ("refused", "kill switch: ON")),
        (
            journal("steady-state-unmet", reason="nothing injected"),
            FAILED,
            ("steady-state-unmet", "nothing injected"),
        ),
        (
            journal("aborted", breach={"guard": "p95", "value": 900, "threshold": "<= 500"}),
            FAILED,
            ("aborted", "guard 'p95' breached: 900 (objective <= 500)"),
        ),
        (
            journal(
                "aborted",
                breach={"guard": "p95", "value": None, "threshold": "<= 500", "reason": "timeout"},
            ),
            FAILED,
            ("aborted", "guard 'p95' breached: unreadable (objective <= 500, timeout)"),
        ),
        (journal("met"), FAILED, ("error", "chaos run exited 1 but the journal says met")),
        (journal("deviated"), OK, ("error", "chaos run exited 0 but the journal says deviated")),
        (
            {"status": "completed"},
            OK,
            ("error", "the journal has no chaosguard evidence: the experiment was not guarded"),
        ),
        (None, ChaosRun(2, 0.3), ("error", "chaos run exited 2 without a journal")),
        (
            journal("met"),
            ChaosRun(1, 9.0, timed_out=True),
            ("error", "timed out after 5 s; chaos run was interrupted"),
        ),
        (
            journal("met"),
            ChaosRun(-9, 9.0, timed_out=True, killed=True),
            ("error", "timed out after 5 s; chaos run was interrupted and had to be killed"),
        ),
        (
            journal("met"),
            ChaosRun(1, 1.0, interrupted=True),
            ("error", "interrupted: the game day was asked to stop"),
        ),
    ],
)
def test_classify(
    doc: dict[str, Any] | None, run: ChaosRun, expected: tuple[str, str | None]
) -> None:
    assert classify(doc, run, None, 5) == expected


def test_deviated_names_the_probes_that_failed() -> None:
    doc = journal("deviated")
    doc["steady_states"] = {
        "after": {
            "probes": [
                {"activity": {"name": "p95"}, "tolerance_met": False},
                {"activity": {"name": "errors"}, "tolerance_met": True},
            ]
        }
    }
    assert classify(doc, FAILED) == ("deviated", "hypothesis not met after the method: p95")


def test_last_line_of_the_output(tmp_path: Path) -> None:
    out = tmp_path / "output.log"
    out.write_text("starting\n\nchaos: could not load the experiment\n\n")
    assert last_line(out) == "chaos: could not load the experiment"
    assert last_line(tmp_path / "missing") == ""
    assert classify(None, FAILED, out) == (
        "error",
        ("chaos run exited 1 without a journal: chaos: could not load the experiment"),
    )


def test_report_journals() -> None:
    real = ExperimentResult(
        0, "t", "/e.yaml", 2.0, "error", "timed out", 1, 3.0, "/out/01-e", journal("met")
    )
    doc = real.report_journal("suite")
    assert doc["chaosguard"]["outcome"] == "error" and doc["chaosguard"]["reason"] == "timed out"
    assert (
        doc["experiment"] == {"title": "t"}
        and doc["gameday"]["weight"] == 2.0
        and doc["gameday"]["exit_code"] == 4
    )
    skipped = ExperimentResult(
        1, "later", "/f.yaml", 1.0, "skipped", "not run: stopped"
    ).report_journal("suite")
    assert skipped["status"] == "skipped" and skipped["experiment"]["title"] == "later"
    assert skipped["chaosguard"] == {"outcome": "skipped", "reason": "not run: stopped"}
    as_dict = ExperimentResult(1, "later", "/f.yaml", 1.0, "skipped").as_dict()
    assert as_dict["exit_code"] == 0 and as_dict["journal"] is None
