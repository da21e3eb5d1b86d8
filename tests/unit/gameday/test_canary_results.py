"""A game day reads each run's canary analysis: the score item, summary.json and the Markdown
table."""

from __future__ import annotations

import time
from pathlib import Path

from chaosguard.gameday.reports import markdown_header
from chaosguard.gameday.results import ExperimentResult, SuiteResult
from chaosguard.gameday.score import resilience_score
from chaosguard.gameday.verdict import Verdict
from chaosguard.guard.evidence import canary_of
from tests.unit.journal.samples import canary_journal, guarded_journal


def _result(index: int, journal: dict | None, outcome: str = "met") -> ExperimentResult:
    return ExperimentResult(index, f"exp-{index}", f"e{index}.yaml", 1.0, outcome, journal=journal)


def test_canary_of_an_experiment() -> None:
    doc = canary_journal()
    doc["chaosguard"]["canary"] = canary_of(doc["chaosguard"], doc)
    r = _result(0, doc)
    assert r.canary_score == 50.0 and r.canary["verdict"] == "fail"
    assert r.score_item() == ("met", 1.0, 50.0)
    assert r.as_dict()["canary_score"] == 50.0 and r.as_dict()["canary_verdict"] == "fail"
    old = _result(1, guarded_journal())  # written before the analysis existed
    assert old.canary_score is None and old.score_item() == ("met", 1.0, None)
    assert _result(2, None, "error").canary_score is None
    # one met run whose latency tripled within the SLO (canary 50), one clean met run
    assert resilience_score([r.score_item(), old.score_item()]) == (0.75 + 1.0) / 2 * 100


def test_markdown_header_shows_the_canary() -> None:
    doc = canary_journal()
    doc["chaosguard"]["canary"] = canary_of(doc["chaosguard"], doc)
    results = [_result(0, doc), _result(1, None, "skipped")]
    now = time.time()
    suite = SuiteResult("s", "s.yaml", Path("/tmp"), now, now, results, Verdict.OK, 75.0)
    text = markdown_header(suite)
    assert "| # | experiment | outcome | canary | weight | duration | reason |" in text
    assert "| 1 | exp-0 | met | fail 50/100 | 1 |" in text
    assert "| 2 | exp-1 | skipped | – | 1 |" in text
