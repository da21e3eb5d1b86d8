"""Pushgateway publisher against a real Debian ``prometheus-pushgateway``: push, scrape /metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from chaosguard.journal.publish import publish_journal
from tests.integration.journal.conftest import Pushgateway
from tests.unit.journal.samples import PLANTED, SECRET_ENV, met_journal, with_secrets


def _scrape(
    gw: Pushgateway, experiment: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(gw.metrics()):
        for s in fam.samples:
            if s.labels.get("experiment") == experiment:
                labels = tuple(
                    sorted(
                        (k, v)
                        for k, v in s.labels.items()
                        if k not in ("experiment", "job", "instance", "env")
                    )
                )
                out[(s.name, labels)] = s.value
    return out


def _push(
    tmp_path: Path,
    gw: Pushgateway,
    doc: dict[str, Any],
    env: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    settings = {
        "chaosguard": {
            "publishers": [
                {"type": "directory", "root": str(tmp_path)},
                {"type": "pushgateway", "url": gw.url, **extra},
            ]
        }
    }
    results = publish_journal(doc, settings, env=env or {})
    assert all(r.ok for r in results), results
    return results[1]


def test_metrics_of_an_aborted_run(tmp_path: Path, pushgateway: Pushgateway) -> None:
    result = _push(tmp_path, pushgateway, with_secrets(), SECRET_ENV, grouping={"env": "ci"})
    slug = "latency-slo-holds-while-latency-escalates"
    assert result.target.endswith(f"/metrics/job/chaosguard/experiment/{slug}/env/ci")
    m = _scrape(pushgateway, slug)
    assert m[("chaos_experiment_status", (("outcome", "aborted"),))] == 1
    assert m[("chaos_experiment_status", (("outcome", "met"),))] == 0
    assert m[("chaos_experiment_duration_seconds", ())] == pytest.approx(9.1)
    assert m[("chaos_experiment_aborted", ())] == 1
    assert m[("chaos_guard_breach", (("guard", "p95-latency"),))] == 1
    assert m[("chaos_guard_breach", (("guard", "error-rate"),))] == 0
    assert m[("chaos_guard_breach_value", (("guard", "p95-latency"),))] == 631
    assert m[("chaos_fault_revert_latency_seconds", ())] == pytest.approx(0.003)
    assert m[("chaos_faults_left_open", ())] == 0
    assert ("push_time_seconds", ()) in m
    scraped = pushgateway.metrics()
    assert [k for k, v in PLANTED.items() if v in scraped] == []


def test_the_next_run_replaces_the_group(tmp_path: Path, pushgateway: Pushgateway) -> None:
    doc = met_journal("Replace me")
    _push(tmp_path, pushgateway, doc, job="nightly")
    doc["chaosguard"]["ledger"][0]["closed_at"] = None  # this time a fault was left open
    doc["chaosguard"]["outcome"] = "error"
    _push(tmp_path, pushgateway, doc, job="nightly")
    m = _scrape(pushgateway, "replace-me")
    assert m[("chaos_experiment_status", (("outcome", "error"),))] == 1
    assert m[("chaos_experiment_status", (("outcome", "met"),))] == 0
    assert m[("chaos_faults_left_open", ())] == 1
    assert ("chaos_guard_breach_value", (("guard", "p95-latency"),)) not in m


def test_unreachable_gateway_is_reported(tmp_path: Path) -> None:
    settings = {
        "chaosguard": {
            "publishers": [
                {"type": "directory", "root": str(tmp_path)},
                {
                    "type": "pushgateway",
                    "url": "http://127.0.0.1:9",
                    "attempts": 2,
                    "backoff_s": 0.01,
                },
            ]
        }
    }
    results = publish_journal(met_journal(), settings, env={})
    assert results[0].ok and not results[1].ok and results[1].attempts == 2
    assert "ConnectError" in (results[1].error or "")
