"""Anomaly guards through a real ``chaos run``: the baseline phase before any activity, the abort
at the step the SLO alone lets through, and every way a baseline fails closed.

The demo world (``chaosguard.demo.topology``: the demo service behind a latency proxy, with users)
runs in this process; ``experiments/demo/latency-anomaly.yaml`` runs against it unchanged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e import guarded
from tests.e2e.guarded import Result, action, experiment, set_value, value_env
from tests.helpers import ROOT, allowing_test_helpers, ledger_records, wait_until

pytestmark = pytest.mark.slow

DEMO = ROOT / "experiments" / "demo" / "latency-anomaly.yaml"


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture()
def env(chaos_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    chaos_env.pop("CHAOSGUARD_POLICY", None)
    chaos_env["PYTHONPATH"] = str(ROOT)
    chaos_env["CHAOSGUARD_EVENTS"] = str(tmp_path / "events.ndjson")
    return chaos_env


@pytest.fixture()
def demo(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The demo world, running for the test; ``env`` pointing the experiment at it."""
    from chaosguard.demo.topology import PROXY_NAME, Topology

    with Topology() as topo:
        yield {**env, "DEMO_SERVICE_URL": topo.url, "DEMO_PROXY_NAME": PROXY_NAME}


def test_the_anomaly_guard_aborts_at_the_250ms_step_the_slo_lets_through(
    demo: dict[str, str], tmp_path: Path, chaosguard_home: Path
) -> None:
    doc = yaml.safe_load(DEMO.read_text())
    res = guarded.chaos_run(tmp_path, doc, demo, timeout=240)
    guard, journal = res.guard, res.journal
    assert guard.get("outcome") == "aborted", res.stderr[-3000:]
    assert journal["status"] == "aborted" and res.rc != 0
    # The baseline phase ran before any activity: phases in order, one baseline learned.
    events = _events(tmp_path / "events.ndjson")
    phases = [e["phase"] for e in events if e["kind"] == "phase"]
    assert phases[:4] == ["preflight", "baseline", "watching", "method"], phases
    (baseline,) = [e for e in events if e["kind"] == "baseline"]
    assert baseline["guard"] == "p95-normal" and baseline["readings"] == 30
    assert baseline["detector"] == "ensemble" and baseline["mean"] < 500
    first_activity = min(e["ts"] for e in events if e["kind"] == "activity-start")
    assert max(e["ts"] for e in events if e["kind"] == "baseline") < first_activity
    # The 100 ms step passed, the 250 ms step was aborted by the anomaly guard, not the SLO.
    steps = {r["activity"]["name"]: r for r in journal["run"]}
    assert steps["p95-at-100ms"]["output"] < 500
    assert "escalate-to-250ms" in steps and "escalate-to-400ms" not in steps
    breach = guard["breach"]
    assert breach["guard"] == "p95-normal", breach
    assert breach["value"] < 500  # the 500 ms SLO alone would have let this through
    assert breach["reason"].startswith("anomaly confirmed (ensemble)")
    assert breach["observed_at"] >= _started(journal, "escalate-to-250ms")
    assert [e["guard"] for e in events if e["kind"] == "abort"] == ["p95-normal"]
    # The faults were reverted, the rollback played, nothing is left.
    assert [r["kind"] for r in breach["reverted"]] == ["latency-toxic"]
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["remove-latency"]
    assert [r["kind"] for r in guard["ledger"]] == ["latency-toxic"]
    assert all(r["closed_at"] and r["outcome"] == "reverted" for r in guard["ledger"])
    # Readings learned while the baseline ran carry no verdict; readings after it do.
    normal = [r for r in guard["readings"] if r["guard"] == "p95-normal"]
    assert normal[0]["anomalous"] is None and normal[-1]["anomalous"] is not None
    assert any(r["anomalous"] and r["breached"] for r in normal)

    # The canary analysis of the run: the guard's fault window against its baseline, after the fact.
    canary = guard["canary"]
    verdicts = {m["guard"]: m for m in canary["metrics"]}
    assert set(verdicts) == {"p95-latency", "error-rate", "p95-normal"}, canary
    assert verdicts["p95-normal"]["classification"] == "High", verdicts["p95-normal"]
    assert verdicts["p95-normal"]["p_value"] < 0.02
    assert canary["verdict"] == "fail" and canary["score"] < 100


def _started(journal: dict[str, Any], name: str) -> float:
    from datetime import datetime

    (run,) = [r for r in journal["run"] if r["activity"]["name"] == name]
    return datetime.fromisoformat(run["start"]).timestamp()


# -- fail closed -----------------------------------------------------------------------------------
def _anomaly_guard(readings: int = 30) -> dict[str, Any]:
    return {
        "name": "value",
        "source": "python",
        "func": "tests.guard_values:read_value",
        "anomaly": {"detector": "zscore", "baseline_readings": readings},
    }


def _run(tmp_path: Path, env: dict[str, str], **kwargs: Any) -> Result:
    proxy = action(
        "proxy",
        "chaosguard.actions.latency",
        "start_latency_proxy",
        name="p",
        listen="127.0.0.1:0",
        upstream="127.0.0.1:9",
        latency_ms=100,
    )
    doc = experiment([proxy], guards=[_anomaly_guard()], policy={"guard": {"interval_s": 0.2}})
    policy = allowing_test_helpers(None)
    return guarded.chaos_run(tmp_path, doc, env, policy=policy, **kwargs)


def _once_learning(events: Path, then: Any) -> None:
    """Call ``then`` once the run is in its baseline phase and has learned a few readings (the
    baseline needs 30 readings at 0.2 s: ~6 s)."""

    def learning() -> bool:
        return events.exists() and '"phase":"baseline"' in events.read_text().replace(" ", "")

    def run() -> None:
        if wait_until(learning, timeout=60):
            time.sleep(1.0)
            then()

    threading.Thread(target=run, daemon=True).start()


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ("nan", "not a finite number"),  # the python source returned NaN
        ("", "could not convert string to float"),  # the source raised: unreadable
    ],
)
def test_a_bad_reading_during_the_baseline_refuses_the_run_before_any_fault(
    bad: str, said: str, env: dict[str, str], tmp_path: Path, chaosguard_home: Path
) -> None:
    values = value_env(tmp_path, env, 10.0)
    _once_learning(tmp_path / "events.ndjson", lambda: set_value(values, bad))
    res = _run(tmp_path, values)
    assert res.guard.get("outcome") == "refused", res.stderr[-3000:]
    reason = res.guard["reason"]
    assert reason.startswith("guard 'value': unreadable during the baseline"), reason
    assert said in reason and "it needs 30 readable readings, had " in reason
    had = int(reason.rsplit("had ", 1)[1])
    assert 0 < had < 30
    assert res.journal["run"] == [] and res.guard["injected"] == []
    assert ledger_records(chaosguard_home) == []
    events = _events(tmp_path / "events.ndjson")
    assert "baseline" in [e["phase"] for e in events if e["kind"] == "phase"]
    assert [e for e in events if e["kind"] == "baseline"] == []


def test_nan_from_the_start_refuses_in_preflight(
    env: dict[str, str], tmp_path: Path, chaosguard_home: Path
) -> None:
    values = value_env(tmp_path, env, 10.0)
    set_value(values, "nan")
    res = _run(tmp_path, values)
    assert res.guard.get("outcome") == "refused", res.stderr[-3000:]
    assert "already breached before any fault: unreadable" in res.guard["reason"]
    assert "not a finite number" in res.guard["reason"]
    assert res.journal["run"] == [] and ledger_records(chaosguard_home) == []


def test_bad_anomaly_blocks_are_refused_by_guard_check_and_run(
    env: dict[str, str], tmp_path: Path, chaosguard_home: Path
) -> None:
    import subprocess

    guard = {**_anomaly_guard(), "anomaly": {"alpha": 2}}
    doc = experiment([action("noop", "tests.guard_values", "wait", seconds=0)], guards=[guard])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    check = subprocess.run(
        ["chaos", "--no-version-check", "guard", "check", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode != 0
    lines = [ln for ln in check.stdout.splitlines() + check.stderr.splitlines() if ln.strip()]
    assert lines == ["Error: extensions.chaosguard.guards.0.anomaly.alpha: must be <= 0.2 (got 2)"]
    values = value_env(tmp_path, env, 10.0)
    res = guarded.chaos_run(tmp_path, doc, values, policy=allowing_test_helpers(None))
    assert res.guard.get("outcome") == "refused"
    assert "guards.0.anomaly.alpha" in res.guard["reason"]
    assert ledger_records(chaosguard_home) == []
