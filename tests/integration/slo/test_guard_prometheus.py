"""The guard watching a real Prometheus (1 s scrape of a test exporter), through ``chaos run``.

Faults are real latency-proxy processes; the SLO is a gauge the test sets on the exporter.
"""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import guarded
from tests.e2e.guarded import Result, action, experiment
from tests.helpers import allowing_test_helpers, ledger_records, live_fault_processes, wait_until
from tests.prometheus_server import wait_for_value

pytestmark = pytest.mark.slow


@pytest.fixture()
def upstream() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def chaos_run(tmp_path: Path, doc: dict, env: dict, *extra: str, **kwargs: Any) -> Result:
    """:func:`tests.e2e.guarded.chaos_run` under an operator policy that allows the test helpers."""
    policy = allowing_test_helpers(kwargs.pop("policy", None))
    return guarded.chaos_run(tmp_path, doc, env, *extra, policy=policy, **kwargs)


def _guard(prom_url: str, metric: str, **extra: object) -> dict:
    return {
        "name": "error-rate",
        "source": "prometheus",
        "url": prom_url,
        "query": metric,
        "max": 0.01,
        "max_staleness_s": 10,
        **extra,
    }


def _method(upstream: str, wait_s: float = 30) -> list[dict]:
    return [
        action(
            "proxy",
            "chaosguard.actions.latency",
            "start_latency_proxy",
            name="p",
            listen="127.0.0.1:0",
            upstream=upstream,
            latency_ms=50,
        ),
        action("long-wait", "tests.guard_values", "wait", seconds=wait_s),
    ]


def _on_fault(home: Path, then) -> None:
    def run() -> None:
        if wait_until(
            lambda: any(r["kind"] == "latency-proxy" for r in ledger_records(home)), timeout=60
        ):
            then()

    threading.Thread(target=run, daemon=True).start()


def _ready(exporter, prom_url: str, metric: str, value: float) -> None:
    exporter.set(metric, value)
    wait_for_value(prom_url, metric, lambda v: v == value, timeout=20)


def test_preflight_refuses_when_prometheus_already_shows_a_breach(
    tmp_path: Path,
    chaos_env: dict,
    exporter,
    prom_url: str,
    metric: str,
    upstream: str,
    chaosguard_home: Path,
) -> None:
    _ready(exporter, prom_url, metric, 0.05)
    res = chaos_run(
        tmp_path, experiment(_method(upstream), guards=[_guard(prom_url, metric)]), chaos_env
    )
    assert res.rc == 1 and res.guard["outcome"] == "refused"
    assert "error-rate" in res.guard["reason"] and "0.05" in res.guard["reason"]
    assert ledger_records(chaosguard_home) == []


def test_breach_at_the_source_aborts_and_reverts(
    tmp_path: Path,
    chaos_env: dict,
    exporter,
    prom_url: str,
    metric: str,
    upstream: str,
    chaosguard_home: Path,
) -> None:
    _ready(exporter, prom_url, metric, 0.001)
    _on_fault(chaosguard_home, lambda: exporter.set(metric, 0.2))
    doc = experiment(
        _method(upstream), guards=[_guard(prom_url, metric)], policy={"guard": {"interval_s": 0.5}}
    )
    res = chaos_run(tmp_path, doc, chaos_env, "--rollback-strategy", "never")
    assert res.journal["status"] == "aborted", res.stderr[-2000:]
    breach = res.guard["breach"]
    assert breach["guard"] == "error-rate" and breach["value"] == pytest.approx(0.2)
    assert breach["faults_reverted_at"] <= breach["abort_issued_at"]
    assert res.journal["duration"] < 30
    assert live_fault_processes(chaosguard_home) == []


def test_for_duration_ignores_a_short_spike_and_aborts_on_a_sustained_one(
    tmp_path: Path,
    chaos_env: dict,
    exporter,
    prom_url: str,
    metric: str,
    upstream: str,
    chaosguard_home: Path,
) -> None:
    _ready(exporter, prom_url, metric, 0.001)
    guard = _guard(prom_url, metric, for_s=4)

    def spike() -> None:  # ~1.5 s above the objective, then healthy again
        exporter.set(metric, 0.5)
        threading.Timer(1.5, exporter.set, (metric, 0.001)).start()

    _on_fault(chaosguard_home, spike)
    doc = experiment(
        _method(upstream, wait_s=6), guards=[guard], policy={"guard": {"interval_s": 0.25}}
    )
    short = chaos_run(tmp_path, doc, chaos_env)
    assert short.rc == 0 and short.guard["outcome"] == "met", short.stderr[-2000:]
    assert any(r["violating"] for r in short.guard["readings"])  # the spike was seen…
    assert not any(r["breached"] for r in short.guard["readings"])  # …and tolerated

    _ready(exporter, prom_url, metric, 0.001)
    for f in (chaosguard_home / "ledger").rglob("*.jsonl"):
        f.unlink()
    _on_fault(chaosguard_home, lambda: exporter.set(metric, 0.5))
    long_doc = experiment(
        _method(upstream, wait_s=30), guards=[guard], policy={"guard": {"interval_s": 0.25}}
    )
    sustained = chaos_run(tmp_path, long_doc, chaos_env)
    assert sustained.journal["status"] == "aborted"
    readings = sustained.guard["readings"]
    first_violation = next(r["read_at"] for r in readings if r["violating"])
    assert sustained.guard["breach"]["observed_at"] - first_violation >= 4.0


def test_prometheus_stopped_mid_run_aborts_fail_closed(
    tmp_path: Path,
    chaos_env: dict,
    exporter,
    prometheus,
    prom_url: str,
    metric: str,
    upstream: str,
    chaosguard_home: Path,
) -> None:
    _ready(exporter, prom_url, metric, 0.001)
    _on_fault(chaosguard_home, prometheus.stop)
    doc = experiment(
        _method(upstream), guards=[_guard(prom_url, metric)], policy={"guard": {"interval_s": 0.5}}
    )
    res = chaos_run(tmp_path, doc, chaos_env)
    assert res.journal["status"] == "aborted"
    breach = res.guard["breach"]
    # refused once it is gone; reset, or answered 503 by its web handler, when a read meets it
    # while it shuts down. Each is a failed read, never a value.
    assert breach["value"] is None
    assert re.search(r"connect|reset by peer|HTTP 503", breach["reason"]), breach["reason"]
    assert live_fault_processes(chaosguard_home) == []


def test_on_unreadable_ignore_keeps_running(
    tmp_path: Path,
    chaos_env: dict,
    exporter,
    prometheus,
    prom_url: str,
    metric: str,
    upstream: str,
    chaosguard_home: Path,
) -> None:
    _ready(exporter, prom_url, metric, 0.001)
    _on_fault(chaosguard_home, prometheus.stop)
    doc = experiment(
        _method(upstream, wait_s=3),
        guards=[_guard(prom_url, metric)],
        policy={"guard": {"on_unreadable": "ignore"}},
    )
    # Only the policy file may loosen fail-closed: in the experiment block "abort" wins the merge.
    refused_looser = chaos_run(tmp_path, doc, chaos_env)
    assert refused_looser.journal["status"] == "aborted"
    prometheus.start()
    _ready(exporter, prom_url, metric, 0.001)
    for f in (chaosguard_home / "ledger").rglob("*.jsonl"):
        f.unlink()
    _on_fault(chaosguard_home, prometheus.stop)
    doc["extensions"][0].pop("policy")
    res = chaos_run(
        tmp_path, doc, chaos_env, policy={"guard": {"interval_s": 0.5, "on_unreadable": "ignore"}}
    )
    assert res.rc == 0 and res.guard["outcome"] == "met"
    assert any(r["value"] is None and not r["violating"] for r in res.guard["readings"])
