"""Every panel of the Grafana dashboard returns data from a real Prometheus after a real game day
pushed its metrics to a real Pushgateway; the rules loaded there fire on what the game day did.

One game day against the demo topology (two experiments: 50 ms added → met; 1200 ms added → the
p95 guard breaches → aborted), publishing to the Pushgateway through ``$CHAOSGUARD_PUBLISHERS``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.test_gameday_cli import gameday, latency_experiment, suite_file
from tests.helpers import ROOT
from tests.integration.journal.conftest import Pushgateway
from tests.prometheus_server import PrometheusServer, instant_query

pytestmark = pytest.mark.slow

DASHBOARD = ROOT / "deploy" / "grafana" / "chaosguard-dashboard.json"


def panel_queries() -> list[tuple[str, str]]:
    """``(panel title, PromQL)`` of every target of every panel."""
    dash = json.loads(DASHBOARD.read_text())
    return [(p["title"], t["expr"]) for p in dash["panels"] for t in p["targets"]]


@pytest.fixture(scope="module")
def pushed(
    pushgateway: Pushgateway,
    prometheus_on_gateway: PrometheusServer,
    tmp_path_factory: pytest.TempPathFactory,
    chaos_env_module: dict[str, str],
) -> Iterator[dict[str, Any]]:
    """Run the game day once for the module; its summary."""
    tmp = tmp_path_factory.mktemp("gameday")
    publishers = tmp / "publishers.yaml"
    publishers.write_text(
        yaml.safe_dump({"publishers": [{"type": "pushgateway", "url": pushgateway.url}]})
    )
    env = {**chaos_env_module, "CHAOSGUARD_PUBLISHERS": str(publishers)}
    # the demo's proxy runs here and the experiments' actions find it by the same state dir
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHAOSGUARD_HOME", env["CHAOSGUARD_HOME"])
        summary = _run_gameday(env, tmp)
    yield summary


def _run_gameday(env: dict[str, str], tmp: Path) -> dict[str, Any]:
    from chaosguard.demo.topology import Topology

    with Topology(users_rate=5) as topo:
        env["DEMO_SERVICE_URL"] = topo.url
        path = suite_file(
            tmp,
            "observed",
            [
                latency_experiment("adds 50 ms", 50, 400),
                latency_experiment("adds 1200 ms", 1200, 5000, hold_s=20),
            ],
        )
        out = tmp / "out"
        result = gameday(env, tmp, "run", path, "--output-dir", str(out))
    assert result.returncode == 2, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert [e["outcome"] for e in summary["experiments"]] == ["met", "aborted"]
    assert summary["warnings"] == [], summary["warnings"]
    return summary


@pytest.fixture(scope="module")
def chaos_env_module(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import os

    from tests.conftest import VENV_BIN

    env = dict(os.environ)
    env.pop("CHAOSGUARD_POLICY", None)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["CHAOSGUARD_HOME"] = str(tmp_path_factory.mktemp("cghome"))
    env["HOME"] = str(tmp_path_factory.mktemp("home"))
    env["PYTHONPATH"] = str(ROOT)
    env["COLUMNS"] = "160"
    return env


def query_until(prom: PrometheusServer, expr: str, timeout: float = 20.0) -> list[Any]:
    """The instant query's result once it is non-empty (the next scrape may be a second away)."""
    deadline = time.monotonic() + timeout
    while True:
        result = instant_query(prom.url, expr)
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


@pytest.mark.parametrize(("title", "expr"), panel_queries())
def test_panel_query_returns_data(
    pushed: dict[str, Any], prometheus_on_gateway: PrometheusServer, title: str, expr: str
) -> None:
    assert query_until(prometheus_on_gateway, expr), f"panel {title!r}: no data for {expr}"


def test_panels_show_what_the_game_day_did(
    pushed: dict[str, Any], prometheus_on_gateway: PrometheusServer
) -> None:
    prom = prometheus_on_gateway
    by_outcome = {
        labels["outcome"]: value
        for labels, value in query_until(prom, "count by (outcome) (chaos_experiment_status == 1)")
    }
    assert by_outcome == {"met": 1.0, "aborted": 1.0}
    latency = query_until(prom, "chaos_fault_revert_latency_seconds")
    assert len(latency) == 1 and 0 < latency[0][1] < 10
    score = query_until(prom, "chaos_gameday_resilience_score")
    assert [value for _, value in score] == [pytest.approx(pushed["score"], abs=0.1)]
    assert query_until(prom, "sum(chaos_faults_left_open)")[0][1] == 0


def test_abort_alert_fires_in_prometheus(
    pushed: dict[str, Any], prometheus_on_gateway: PrometheusServer
) -> None:
    """The rules loaded in the real Prometheus see the abort (the alert is pending or firing)."""
    import httpx

    deadline = time.monotonic() + 30
    names: set[str] = set()
    while time.monotonic() < deadline:
        alerts = httpx.get(f"{prometheus_on_gateway.url}/api/v1/alerts", timeout=5).json()
        names = {a["labels"]["alertname"] for a in alerts["data"]["alerts"]}
        if "ChaosExperimentAborted" in names:
            break
        time.sleep(0.5)
    assert "ChaosExperimentAborted" in names
    assert not names & {"ChaosRevertFailed", "ChaosFaultsOpenTooLong", "ChaosKillSwitchOn"}
