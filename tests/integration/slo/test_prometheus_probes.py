"""The Prometheus probes against a real Prometheus, directly and through a Chaos Toolkit run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from chaosguard.probes.prometheus import burn_rate, error_budget_remaining, prometheus_value
from chaosguard.slo.base import SourceUnreadable
from tests.prometheus_server import Exporter, wait_for_value


def test_probes_read_the_exported_ratio(exporter: Exporter, prom_url: str, metric: str) -> None:
    exporter.set(metric, 0.002)
    wait_for_value(prom_url, metric, lambda v: v == 0.002)
    assert prometheus_value(prom_url, metric, timeout_s=5) == 0.002
    assert burn_rate(prom_url, metric) == pytest.approx(2.0)  # twice the 99.9 % budget rate
    assert error_budget_remaining(prom_url, metric) == pytest.approx(
        -1.0
    )  # over the period: overspent
    assert error_budget_remaining(prom_url, metric, objective=0.99) == pytest.approx(0.8)


def test_probes_fail_with_the_reason(prom_url: str) -> None:
    with pytest.raises(SourceUnreadable, match="no sample"):
        prometheus_value(prom_url, "cg_never_exported")
    with pytest.raises(SourceUnreadable, match="parse error"):
        burn_rate(prom_url, "sum(")


def test_probe_in_a_chaos_toolkit_experiment(
    exporter: Exporter, prom_url: str, metric: str, tmp_path: Path, chaos_env: dict[str, str]
) -> None:
    exporter.set(metric, 0.0005)
    wait_for_value(prom_url, metric, lambda v: v == 0.0005)
    experiment = {
        "title": "burn rate stays low",
        "description": "probe through chaoslib",
        "steady-state-hypothesis": {
            "title": "budget ok",
            "probes": [
                {
                    "type": "probe",
                    "name": "burn-rate",
                    "tolerance": {"type": "range", "range": [0, 1]},
                    "provider": {
                        "type": "python",
                        "module": "chaosguard.probes.prometheus",
                        "func": "burn_rate",
                        "arguments": {
                            "url": prom_url,
                            "error_ratio_query": metric,
                            "objective": 0.999,
                        },
                    },
                }
            ],
        },
        "method": [
            {
                "type": "probe",
                "name": "value",
                "provider": {
                    "type": "python",
                    "module": "chaosguard.probes.prometheus",
                    "func": "prometheus_value",
                    "arguments": {"url": prom_url, "query": metric},
                },
            }
        ],
    }
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(experiment))
    journal = tmp_path / "journal.json"
    proc = subprocess.run(
        [
            "chaos",
            "--no-version-check",
            "--no-log-file",
            "run",
            "--journal-path",
            str(journal),
            str(path),
        ],
        env=chaos_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = json.loads(journal.read_text())
    assert run["status"] == "completed" and not run["deviated"]
    assert run["steady_states"]["before"]["probes"][0]["output"] == pytest.approx(0.5)
    assert run["run"][0]["output"] == 0.0005
