"""SIGKILL the ``chaos run`` process while a latency proxy and stress workers are active.

By themselves, the workers and the proxy must be gone within 2 s (lifeline pipe), leaving nothing
for ``chaos cleanup`` but closing the records. With the death path disabled
(``CHAOSGUARD_LIFELINE=off``, simulating its failure), the survivors must be reverted by
``chaos cleanup``.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import psutil
import pytest
import yaml

from tests.helpers import wait_until

# the parent processes call the actions directly, outside a guarded run: their operator allows it
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("unguarded_actions")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _experiment(tmp_path: Path, upstream_port: int, listen_port: int) -> Path:
    def action(step: str, module: str, func: str, **arguments: object) -> dict:
        return {
            "type": "action",
            "name": step,
            "provider": {"type": "python", "module": module, "func": func, "arguments": arguments},
        }

    doc = {
        "title": "faults left running when the runner dies",
        "description": "starts a proxy and stress workers, then waits to be killed",
        "method": [
            action(
                "proxy",
                "chaosguard.actions.latency",
                "start_latency_proxy",
                name="p",
                listen=f"127.0.0.1:{listen_port}",
                upstream=f"127.0.0.1:{upstream_port}",
                latency_ms=50,
            ),
            action("cpu", "chaosguard.actions.stress", "stress_cpu", workers=1, load_percent=30),
            action("mem", "chaosguard.actions.stress", "stress_memory", mib=64),
            {
                "type": "probe",
                "name": "ready",
                "provider": {
                    "type": "process",
                    "path": "touch",
                    "arguments": [str(tmp_path / "ready")],
                },
            },
            {
                "type": "probe",
                "name": "wait",
                "provider": {"type": "process", "path": "sleep", "arguments": ["60"]},
            },
        ],
    }
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _workers() -> list[psutil.Process]:
    flag = "--chaosguard-record="
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info.get("cmdline") or []
        if any(a.startswith(flag) for a in cmd):
            found.append(proc)
    return found


def _run_and_kill(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], list[int]]:
    upstream = socket.socket()
    upstream.bind(("127.0.0.1", 0))
    upstream.listen()
    exp = _experiment(tmp_path, upstream.getsockname()[1], _free_port())
    chaos = subprocess.Popen(
        [
            "chaos",
            "--no-version-check",
            "--no-log-file",
            "run",
            "--journal-path",
            str(tmp_path / "journal.json"),
            str(exp),
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_until(
            lambda: (tmp_path / "ready").exists() or chaos.poll() is not None, timeout=60
        )
        assert chaos.poll() is None, chaos.stderr.read().decode()[-2000:]
        runner = psutil.Process(chaos.pid)
        pids = [p.pid for p in _workers() if runner.pid in [a.pid for a in p.parents()]]
        assert len(pids) >= 3, pids  # proxy, CPU stress, memory stress
        chaos.send_signal(signal.SIGKILL)
        chaos.wait()
    finally:
        upstream.close()
    return chaos, pids


def _alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _cleanup(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["chaos", "--no-version-check", "--no-log-file", "cleanup", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_workers_die_with_a_sigkilled_runner(tmp_path: Path, chaos_env: dict[str, str]) -> None:
    _, pids = _run_and_kill(tmp_path, chaos_env)
    assert wait_until(lambda: not _alive(pids), timeout=2.0), f"still alive: {_alive(pids)}"
    out = _cleanup(chaos_env)
    assert out.returncode == 0, out.stderr
    # Records were still open (the runner died) but every fault had already vanished.
    assert "vanished" in out.stdout and "reverted" not in out.stdout.replace(
        "Reverted leftovers", ""
    )
    again = _cleanup(chaos_env)
    assert "Nothing open" in again.stdout


def test_cleanup_reverts_survivors_when_the_death_path_fails(
    tmp_path: Path, chaos_env: dict[str, str]
) -> None:
    env = {**chaos_env, "CHAOSGUARD_LIFELINE": "off"}
    _, pids = _run_and_kill(tmp_path, env)
    try:
        assert not wait_until(lambda: not _alive(pids), timeout=1.0)  # they survive
        listed = _cleanup(chaos_env, "--dry-run")
        assert listed.returncode == 0 and listed.stdout.count("would-revert") == 3
        assert len(_alive(pids)) == len(pids)
        out = _cleanup(chaos_env)
        assert out.returncode == 0, out.stdout + out.stderr
        assert out.stdout.count("reverted") >= 3
        assert wait_until(lambda: not _alive(pids), timeout=5)
        assert "Nothing open" in _cleanup(chaos_env).stdout
        journal_missing = not (tmp_path / "journal.json").exists()
        assert journal_missing  # the runner never got to write it: the ledger is the evidence
        records = [
            json.loads(x)
            for f in (Path(chaos_env["CHAOSGUARD_HOME"]) / "ledger").rglob("*.jsonl")
            for x in f.read_text().splitlines()
        ]
        assert sum(1 for r in records if r["op"] == "close") == 3
    finally:
        for pid in _alive(pids):
            psutil.Process(pid).kill()
