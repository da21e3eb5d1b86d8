"""``python -m chaosguard.demo --serve`` as a person uses it: start it, export what it prints, run
``chaos guard check`` and ``chaos run`` by hand against it, stop it with SIGTERM, nothing left."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.helpers import ROOT, live_fault_processes

pytestmark = pytest.mark.slow

EXPERIMENT = ROOT / "experiments" / "demo" / "latency-slo.yaml"


def _chaos(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["chaos", "--no-version-check", "--no-log-file", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def _exports(proc: subprocess.Popen[str]) -> dict[str, str]:
    """The ``export NAME=value`` lines printed before ``# ready``."""
    out: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "# ready":
            return out
        words = shlex.split(line)
        assert words[0] == "export" and "=" in words[1], line
        name, _, value = words[1].partition("=")
        out[name] = value
    raise AssertionError(f"--serve ended before it was ready: {proc.stderr.read()!r}")


def test_serve_keeps_the_world_up_for_runs_by_hand_then_tears_down_clean(
    tmp_path: Path, chaos_env: dict[str, str], chaosguard_home: Path
) -> None:
    base = {k: v for k, v in chaos_env.items() if not k.startswith("DEMO_")}
    base.pop("CHAOSGUARD_POLICY", None)
    serve = subprocess.Popen(
        [sys.executable, "-m", "chaosguard.demo", "--serve"],
        env={**base, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports = _exports(serve)
        assert set(exports) == {"DEMO_SERVICE_URL", "DEMO_PROXY_NAME", "CHAOSGUARD_HOME"}
        assert exports["CHAOSGUARD_HOME"] == str(chaosguard_home)
        assert exports["DEMO_PROXY_NAME"] == "demo-frontend"
        children = [p.pid for p in psutil.Process(serve.pid).children(recursive=True)]
        assert len(children) >= 3  # service, users, proxy worker
        env = {**base, **exports}

        # without the variables, the check judges what it can and lists what the run needs
        bare = _chaos(base, "guard", "check", str(EXPERIMENT))
        assert bare.returncode == 0, bare.stdout + bare.stderr
        assert "the run will need: DEMO_SERVICE_URL" in bare.stdout.replace("\n", " ")
        checked = _chaos(env, "guard", "check", str(EXPERIMENT))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "the run will need" not in checked.stdout

        # the proxy is an open fault of the --serve process, its owner alive
        listed = json.loads(_chaos(env, "ledger", "list", "--json").stdout)["open"]
        assert [(r["kind"], r["owner"]["pid"], r["owner"]["state"]) for r in listed] == [
            ("latency-proxy", serve.pid, "alive")
        ]

        journal_path = tmp_path / "journal.json"
        run = _chaos(env, "run", "--journal-path", str(journal_path), str(EXPERIMENT), timeout=180)
        guard = json.loads(journal_path.read_text())["chaosguard"]
        assert guard["outcome"] == "aborted", run.stdout[-2000:] + run.stderr[-2000:]
        assert guard["breach"]["guard"] == "p95-latency" and guard["breach"]["value"] > 500
        assert [r["kind"] for r in guard["breach"]["reverted"]] == ["latency-toxic"]
        assert guard["steady_state_after_abort"]["steady_state_met"] is True
        assert serve.poll() is None  # the world outlives the run

        listed = json.loads(_chaos(env, "ledger", "list", "--json").stdout)["open"]
        assert [r["kind"] for r in listed] == ["latency-proxy"]  # the run's toxic is reverted
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            _, err = serve.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            raise
    assert serve.returncode == 0, err
    assert "every process it started is gone." in err
    assert not any(psutil.pid_exists(pid) and _not_zombie(pid) for pid in children)
    assert live_fault_processes(chaosguard_home) == []
    empty = _chaos({**base, "CHAOSGUARD_HOME": str(chaosguard_home)}, "ledger", "list", "--json")
    assert json.loads(empty.stdout)["open"] == []
    assert not list((chaosguard_home / "ledger").glob("*.jsonl"))  # every run archived


def _not_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
