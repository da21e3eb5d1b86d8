"""The canary analysis in the journal's ``chaosguard`` section (:mod:`chaosguard.guard.evidence`):
windows from the journal's ``run`` entries and the breach, readings split by time, NaN counted."""

from __future__ import annotations

import json

from chaosguard.guard.evidence import canary_of, canary_windows
from tests.unit.journal.samples import T0, canary_journal, guarded_journal


def test_windows_start_at_the_first_action_and_end_at_the_breach() -> None:
    doc = guarded_journal()
    start, end = canary_windows(doc["chaosguard"], doc)
    assert start == T0 + 1.2  # add-100ms-latency
    assert end == doc["chaosguard"]["breach"]["observed_at"]  # before the method's end


def test_windows_end_with_the_method_without_a_breach() -> None:
    doc = canary_journal()
    start, end = canary_windows(doc["chaosguard"], doc)
    assert (start, end) == (T0 + 20.0, T0 + 40.0)


def test_no_method_action_means_nothing_was_put_to_the_test() -> None:
    doc = canary_journal()
    doc["run"] = [r for r in doc["run"] if r["activity"]["type"] != "action"]
    assert canary_windows(doc["chaosguard"], doc) == (None, None)
    canary = canary_of(doc["chaosguard"], doc)
    assert canary["score"] is None and canary["verdict"] == "nodata"
    # the session's first action time is the fallback when the journal has none
    assert canary_windows(doc["chaosguard"], doc, first_action_at=T0 + 20.0)[0] == T0 + 20.0


def test_a_latency_step_within_the_slo_is_high() -> None:
    doc = canary_journal()
    canary = canary_of(doc["chaosguard"], doc)
    json.dumps(canary, allow_nan=False)
    by_guard = {m["guard"]: m for m in canary["metrics"]}
    p95, errors = by_guard["p95-latency"], by_guard["error-rate"]
    assert p95["classification"] == "High" and p95["failed"]
    # baseline: 39 readings before +20 s, one of them unreadable: removed and counted
    assert p95["baseline"]["n_raw"] == 39 and p95["baseline"]["nan_removed"] == 1
    assert p95["experiment"]["n_raw"] == 41  # +20 s to +40 s, both ends included
    assert p95["effect"] > 1.5  # about ×3
    assert errors["classification"] == "Pass"  # 0 → 0: nothing changed
    assert canary["score"] == 50.0 and canary["verdict"] == "fail"
    assert canary["window"] == {"fault_start": T0 + 20.0, "fault_end": T0 + 40.0}


def test_thinning_follows_the_sampler_window() -> None:
    doc = canary_journal()
    for g in doc["chaosguard"]["guards"]:
        g["window_s"] = 2.0  # read every 0.5 s: 4 readings share a window
    p95 = canary_of(doc["chaosguard"], doc)["metrics"][0]
    assert p95["thin"] == 4 and p95["experiment"]["n"] == 11 and p95["baseline"]["n"] == 10


def test_policy_guards_are_not_judged() -> None:
    doc = canary_journal()
    doc["chaosguard"]["guards"].append({"name": "kill-switch", "source": "python", "max": 0})
    names = [m["guard"] for m in canary_of(doc["chaosguard"], doc)["metrics"]]
    assert names == ["p95-latency", "error-rate"]


def test_a_malformed_section_gives_an_error_verdict_not_an_exception() -> None:
    doc = canary_journal()
    doc["chaosguard"]["guards"][0]["window_s"] = "five"
    canary = canary_of(doc["chaosguard"], doc)
    assert canary["verdict"] == "error" and canary["score"] is None
    assert "ValueError" in canary["reason"]
