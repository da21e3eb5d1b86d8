"""``chaos gameday run`` as CI runs it: a real ``chaos`` subprocess against the local demo target.

The demo topology (service ← chaosguard latency proxy ``demo-frontend`` ← users) runs in the test
process; the suites are built here, against it, with a shared policy file and a shared HTTP guard on
the p95:

* passing  — two experiments add 50 ms; hypothesis p95 ≤ 400 ms holds → exit 0, score 100;
* deviating — one met, then 300 ms added with a hypothesis p95 ≤ 200 ms (the guard allows 800 ms, so
  it does not breach) → exit 1;
* aborted  — 1200 ms added: the guard (p95 ≤ 800 ms) breaches, reverts, interrupts; the suite stops
  and the next experiment is skipped → exit 2;
* refused  — the shared policy freezes today → exit 3, nothing injected;
* error    — a bad suite file (one ``Error:`` line, no traceback), an action that fails → exit 4.

Each checks the exit code, ``summary.json``, and JUnit, HTML report and Markdown summary (written
through ``chaosguard.journal``).
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import VENV_BIN
from tests.helpers import ROOT, allowing_test_helpers, ledger_records

pytestmark = pytest.mark.slow

LAT = "chaosguard.actions.latency"
PROXY = "demo-frontend"


def _probe_p95(p95_max: float) -> dict[str, Any]:
    return {
        "type": "probe",
        "name": f"p95-at-most-{p95_max:g}ms",
        "tolerance": {"type": "range", "range": [0, p95_max]},
        "provider": {
            "type": "python",
            "module": "chaosguard.probes.http",
            "func": "http_latency_percentile",
            "arguments": {
                "url": "${service_url}",
                "percentile": 95,
                "requests": 8,
                "concurrency": 4,
            },
        },
    }


def latency_experiment(
    title: str, latency_ms: float, p95_max: float, hold_s: float = 0.3
) -> dict[str, Any]:
    """Add ``latency_ms`` on the demo proxy, hold, check p95 ≤ ``p95_max`` before and after; roll
    back."""
    method: list[dict[str, Any]] = [
        {
            "type": "action",
            "name": f"add-{latency_ms:g}ms",
            "provider": {
                "type": "python",
                "module": LAT,
                "func": "set_latency",
                "arguments": {"name": PROXY, "latency_ms": latency_ms, "direction": "downstream"},
            },
        }
    ]
    if hold_s > 1:  # a long hold that a guard abort must cut short
        method.append(
            {
                "type": "action",
                "name": "hold",
                "provider": {
                    "type": "python",
                    "module": "tests.guard_values",
                    "func": "wait",
                    "arguments": {"seconds": hold_s},
                },
            }
        )
    else:
        method[0]["pauses"] = {"after": hold_s}
    return {
        "title": title,
        "description": "game-day e2e",
        "configuration": {"service_url": {"type": "env", "key": "DEMO_SERVICE_URL"}},
        "steady-state-hypothesis": {
            "title": "p95 within tolerance",
            "probes": [_probe_p95(p95_max)],
        },
        "method": method,
        "rollbacks": [
            {
                "type": "action",
                "name": "remove-latency",
                "provider": {
                    "type": "python",
                    "module": LAT,
                    "func": "remove_latency",
                    "arguments": {"name": PROXY},
                },
            }
        ],
    }


def write(path: Path, doc: Any) -> str:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def suite_file(
    tmp_path: Path,
    name: str,
    experiments: list[dict[str, Any]],
    policy: dict[str, Any] | None = None,
    **extra: Any,
) -> str:
    """Write the experiments, the shared policy and the suite (with the shared p95 guard)."""
    paths = [write(tmp_path / f"{name}-{i}.yaml", doc) for i, doc in enumerate(experiments)]
    write(
        tmp_path / f"{name}-policy.yaml",
        allowing_test_helpers(policy or {"guard": {"interval_s": 0.2}}),
    )
    suite = {
        "name": name,
        "policy": f"{name}-policy.yaml",
        "guards": [
            {
                "name": "p95",
                "source": "http",
                "url": "${DEMO_SERVICE_URL:-http://127.0.0.1:9/}",
                "metric": "p95_ms",
                "window_s": 2,
                "rate_per_s": 10,
                "request_timeout_s": 5,
                "max": 800,
            }
        ],
        "experiments": [Path(p).name for p in paths],
        "recovery": {"timeout_s": 20, "interval_s": 0.2},
        **extra,
    }
    return write(tmp_path / f"{name}.yaml", suite)


def gameday(
    env: dict[str, str], cwd: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``chaos gameday ARGS`` in a subprocess; never a traceback; failures end with one ``Error:``
    line."""
    result = subprocess.run(
        [str(VENV_BIN / "chaos"), "--no-version-check", "--no-log-file", "gameday", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    if result.returncode:
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and result.stderr.rstrip().endswith(errors[0]), result.stderr
    return result


def summary(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text())


def check_reports(out: Path, name: str, outcomes: list[str]) -> None:
    """JUnit (``chaosguard.journal.write_junit``): one test case per experiment, in order, passing
    when it met its hypothesis, ``<skipped>`` when it did not run, ``<error>`` on error,
    ``<failure>`` otherwise; the HTML report names the suite; summary.md has the table."""
    data = summary(out)
    assert data["errors"] == [] and data["warnings"] == [], data
    root = ET.parse(out / "junit.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == name
    cases = list(root.iter("testcase"))
    assert len(cases) == len(outcomes), ET.tostring(root)[:2000]
    expected = {
        "met": set(),
        "skipped": {"skipped"},
        "error": {"error"},
        "action-failed": {"failure"},
    }
    for case, outcome in zip(cases, outcomes, strict=True):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["outcome"] == outcome
        verdicts = {child.tag for child in case if child.tag in ("failure", "error", "skipped")}
        assert verdicts == expected.get(outcome, {"failure"}), ET.tostring(case)
    assert suite.get("skipped") == str(outcomes.count("skipped"))
    html = (out / "report.html").read_text()
    assert name in html and "<html" in html.lower()
    markdown = (out / "summary.md").read_text()
    assert f"# Game day: {name}" in markdown and markdown.count("\n| ") >= len(outcomes)
    assert data["reports"]["junit"] and data["reports"]["html"] and data["reports"]["markdown"]


@pytest.fixture()
def env(chaos_env: dict[str, str]) -> dict[str, str]:
    chaos_env.pop("CHAOSGUARD_POLICY", None)
    chaos_env["PYTHONPATH"] = str(ROOT)
    chaos_env["COLUMNS"] = "160"
    return chaos_env


@pytest.fixture()
def demo(env: dict[str, str]) -> dict[str, str]:
    """The demo topology, running for the test; ``env`` with ``DEMO_SERVICE_URL`` pointing at it."""
    from chaosguard.demo.topology import Topology

    with Topology(users_rate=5) as topo:
        yield {**env, "DEMO_SERVICE_URL": topo.url}


def test_passing_suite_exits_0_with_score_100(demo: dict[str, str], tmp_path: Path) -> None:
    path = suite_file(
        tmp_path,
        "passing",
        [
            latency_experiment("adds 50 ms", 50, 400),
            latency_experiment("adds 50 ms again", 50, 400),
        ],
    )
    out = tmp_path / "out"
    result = gameday(demo, tmp_path, "run", path, "--output-dir", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(out)
    assert [e["outcome"] for e in data["experiments"]] == ["met", "met"]
    assert data["score"] == 100.0 and data["exit_code"] == 0
    assert data["experiments"][1]["recovery_before"]["healthy"] is True
    for i in (
        1,
        2,
    ):  # each run guarded by the suite's guard and policy, though the files declare no control
        journal = json.loads(next(out.glob(f"0{i}-*/journal.json")).read_text())
        assert journal["chaosguard"]["outcome"] == "met"
        assert [g["name"] for g in journal["chaosguard"]["guards"]] == ["p95"]
        assert journal["chaosguard"]["policy"]["guard"]["interval_s"] == 0.2
    check_reports(out, "passing", ["met", "met"])


def test_deviating_suite_exits_1(demo: dict[str, str], tmp_path: Path) -> None:
    path = suite_file(
        tmp_path,
        "deviating",
        [
            latency_experiment("adds 50 ms", 50, 400),
            latency_experiment("300 ms breaks a 200 ms tolerance", 300, 200),
        ],
    )
    out = tmp_path / "out"
    result = gameday(demo, tmp_path, "run", path, "-o", str(out))
    assert result.returncode == 1, result.stderr[-3000:]
    data = summary(out)
    assert [e["outcome"] for e in data["experiments"]] == ["met", "deviated"]
    assert data["score"] == 50.0
    journal = json.loads(next(out.glob("02-*/journal.json")).read_text())
    assert journal["deviated"] is True and journal["chaosguard"]["breach"] is None
    assert "Error: game day deviated (score 50/100): experiment 2" in result.stderr
    check_reports(out, "deviating", ["met", "deviated"])


def test_aborted_suite_exits_2_and_stops(
    demo: dict[str, str], tmp_path: Path, chaosguard_home: Path
) -> None:
    path = suite_file(
        tmp_path,
        "aborted",
        [
            latency_experiment("1200 ms breaches the guard", 1200, 400, hold_s=20),
            latency_experiment("never runs", 50, 400),
        ],
    )
    out = tmp_path / "out"
    result = gameday(demo, tmp_path, "run", path, "-o", str(out))
    assert result.returncode == 2, result.stderr[-3000:]
    data = summary(out)
    first, second = data["experiments"]
    assert first["outcome"] == "aborted"
    assert re.match(r"guard 'p95' breached: \d+(\.\d+)? \(objective <= 800\)$", first["reason"]), (
        first["reason"]
    )
    assert first["duration_s"] < 15  # the 20 s hold was cut short
    assert second["outcome"] == "skipped" and "aborted by a guard" in second["reason"]
    assert data["score"] == 0.0
    toxics = [r for r in ledger_records(chaosguard_home) if r["kind"] == "latency-toxic"]
    assert toxics  # the latency was injected, and the guard reverted it:
    journal = json.loads(next(out.glob("01-*/journal.json")).read_text())
    assert all(r["closed_at"] for r in journal["chaosguard"]["ledger"])
    check_reports(out, "aborted", ["aborted", "skipped"])


def test_refused_suite_exits_3(env: dict[str, str], tmp_path: Path, chaosguard_home: Path) -> None:
    today = date.today()
    freeze = {
        "freeze": [
            {
                "start": (today - timedelta(days=1)).isoformat(),
                "end": (today + timedelta(days=1)).isoformat(),
                "reason": "release week",
            }
        ]
    }
    path = suite_file(
        tmp_path,
        "refused",
        [latency_experiment("frozen", 50, 400), latency_experiment("frozen too", 50, 400)],
        policy=freeze,
    )
    out = tmp_path / "out"
    result = gameday(
        {**env, "DEMO_SERVICE_URL": "http://127.0.0.1:9/"}, tmp_path, "run", path, "-o", str(out)
    )
    assert result.returncode == 3, result.stderr[-3000:]
    data = summary(out)
    assert [e["outcome"] for e in data["experiments"]] == ["refused", "refused"]
    assert all("freeze" in e["reason"] for e in data["experiments"])
    assert data["score"] is None
    assert [r for r in ledger_records(chaosguard_home) if r["kind"].startswith("latency")] == []
    check_reports(out, "refused", ["refused", "refused"])


def test_bad_suite_file_exits_4_in_one_line(env: dict[str, str], tmp_path: Path) -> None:
    exp = write(tmp_path / "e.yaml", latency_experiment("x", 50, 400))
    write(tmp_path / "bad.yaml", {"name": "bad", "experiments": [exp, exp, "missing.yaml"]})
    result = gameday(env, tmp_path, "run", str(tmp_path / "bad.yaml"))
    assert result.returncode == 4
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: invalid argument 'experiments.2.path': file not found: missing.yaml "
        f"(in {tmp_path / 'bad.yaml'})"
    )
    assert not (tmp_path / "runs").exists()  # nothing ran


def test_failing_action_exits_4_and_stops(env: dict[str, str], tmp_path: Path) -> None:
    failing = {
        "title": "an action fails",
        "description": "e2e",
        "method": [
            {
                "type": "action",
                "name": "boom",
                "provider": {"type": "python", "module": "tests.guard_values", "func": "fail"},
            }
        ],
    }
    write(tmp_path / "fail.yaml", failing)
    write(tmp_path / "policy.yaml", allowing_test_helpers({"allow_unguarded": True}))
    out = tmp_path / "out"
    result = gameday(
        env, tmp_path, "run", "fail.yaml", "fail.yaml", "--policy", "policy.yaml", "-o", str(out)
    )
    assert result.returncode == 4, result.stderr[-3000:]
    data = summary(out)
    assert [e["outcome"] for e in data["experiments"]] == ["action-failed", "skipped"]
    assert "boom" in data["experiments"][0]["reason"]


def test_schema_and_schedule(env: dict[str, str], tmp_path: Path) -> None:
    schema = json.loads(gameday(env, tmp_path, "schema").stdout)
    assert {"name", "experiments", "guards", "policy", "recovery"} <= set(schema["properties"])
    path = suite_file(tmp_path, "weekly", [latency_experiment("x", 50, 400)])
    cron = gameday(env, tmp_path, "schedule", path, "--cron", "0 9 * * 1")
    assert cron.returncode == 0, cron.stderr
    line = next(ln for ln in cron.stdout.splitlines() if not ln.startswith("#"))
    assert line.startswith("0 9 * * 1 ") and "gameday run" in line and path in line
    k8s = gameday(
        env,
        tmp_path,
        "schedule",
        path,
        "--cron",
        "0 9 * * 1",
        "--kubernetes",
        "--namespace",
        "chaos",
        "--image",
        "registry.example/chaosguard:1",
    )
    kinds = [d["kind"] for d in yaml.safe_load_all(k8s.stdout)]
    assert kinds == ["ServiceAccount", "Role", "RoleBinding", "CronJob"]
    bad = gameday(env, tmp_path, "schedule", path, "--cron", "0 25 * * 1")
    assert bad.returncode == 4 and "invalid argument '--cron'" in bad.stderr
