"""The Pushgateway payload's operational gauges (end time, objectives, faults left open, the kill
switch, the canary score) and a game day's own group, without servers."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from chaosguard.journal.facts import facts_of
from chaosguard.journal.publishers.pushgateway import exposition, suite_exposition
from tests.unit.journal.samples import T0, guarded_journal, met_journal

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _parse(text: bytes) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text.decode())
        for s in fam.samples
    }


def _samples(doc: dict[str, Any]) -> Samples:
    return _parse(exposition(doc, facts_of(doc)))


def test_end_time_and_objectives() -> None:
    doc = guarded_journal()
    m = _samples(doc)
    assert m[("chaos_experiment_end_timestamp_seconds", ())] == pytest.approx(facts_of(doc).end)
    assert m[("chaos_guard_objective", (("bound", "max"), ("guard", "p95-latency")))] == 500
    assert m[("chaos_guard_objective", (("bound", "max"), ("guard", "error-rate")))] == 0.01
    assert ("chaos_fault_oldest_open_timestamp_seconds", ()) not in m
    assert m[("chaos_kill_switch_engaged", ())] == 0


def test_a_record_left_open_gives_its_opening_time() -> None:
    doc = guarded_journal()
    records = doc["chaosguard"]["ledger"]
    second = {**copy.deepcopy(records[0]), "id": "r1.bb", "created_at": T0 + 3.0}
    records.append(second)
    for record in records:
        record["closed_at"] = None
        record["outcome"] = None
    m = _samples(doc)
    assert m[("chaos_faults_left_open", ())] == 2
    assert m[("chaos_fault_oldest_open_timestamp_seconds", ())] == pytest.approx(T0 + 1.21)


def test_kill_switch_breach_and_refusal_are_engaged() -> None:
    doc = guarded_journal()
    doc["chaosguard"]["breach"]["guard"] = "kill-switch"
    assert _samples(doc)[("chaos_kill_switch_engaged", ())] == 1
    refused = met_journal()
    refused["chaosguard"]["outcome"] = "refused"
    refused["chaosguard"]["reason"] = (
        "refused: set_latency: kill switch is on (file /run/chaos-off): on"
    )
    assert _samples(refused)[("chaos_kill_switch_engaged", ())] == 1


def test_canary_score_only_when_judged() -> None:
    doc = guarded_journal()
    assert ("chaos_canary_score", ()) not in _samples(doc)
    doc["chaosguard"]["canary"] = {"score": 37.5}
    assert _samples(doc)[("chaos_canary_score", ())] == 37.5


def test_suite_group() -> None:
    summary = {
        "suite": "weekly",
        "verdict": "aborted",
        "score": 20.0,
        "counts": {"met": 1, "deviated": 1, "aborted": 1},
        "duration_s": 95.5,
        "ended_at_epoch": 1_790_000_000.0,
    }
    m = _parse(suite_exposition(summary))
    assert m[("chaos_gameday_resilience_score", ())] == 20
    assert m[("chaos_gameday_verdict", (("verdict", "aborted"),))] == 1
    assert m[("chaos_gameday_verdict", (("verdict", "ok"),))] == 0
    assert m[("chaos_gameday_experiments", (("outcome", "met"),))] == 1
    assert m[("chaos_gameday_experiments", (("outcome", "refused"),))] == 0
    assert m[("chaos_gameday_duration_seconds", ())] == 95.5
    assert m[("chaos_gameday_end_timestamp_seconds", ())] == 1_790_000_000
    no_score = _parse(suite_exposition({**summary, "score": None}))
    assert ("chaos_gameday_resilience_score", ()) not in no_score
