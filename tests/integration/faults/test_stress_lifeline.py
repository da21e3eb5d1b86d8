"""Stress workers die with their runner; if that path is broken, ``cleanup_dead_runs`` reverts them.

A small Python parent starts stress through the actions and is then SIGKILLed, like a crashed
``chaos run``. ``CHAOSGUARD_LIFELINE=off`` simulates a broken death-signal path.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from chaosguard.faults.cleanup import cleanup_dead_runs
from tests.integration.faults.test_stress_support import all_gone, gone, wait_until

ROOT = Path(__file__).resolve().parents[3]

PARENT = textwrap.dedent("""
    import json, sys, time
    from chaosguard.actions.stress import stress_cpu, stress_memory
    outs = [stress_cpu(workers=2, load_percent=20), stress_memory(32)]
    if sys.argv[1] == "stress-ng":
        outs.append(stress_cpu(workers=1, load_percent=20, backend="stress-ng"))
    print(json.dumps(sorted({pid for out in outs for pid in out["pids"]})), flush=True)
    time.sleep(120)
""")


@pytest.fixture()
def reaping_init() -> None:
    """Make this test process adopt orphans (child subreaper) and reap them, as a normal init does.

    The workers of a SIGKILLed parent are orphans; some init processes (this project's CI micro-VM)
    reap orphans only every second or two, which would make each revert wait for a zombie to vanish.
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    yield
    prctl(36, 0, 0, 0, 0)
    for child in psutil.Process().children():
        if child.status() == psutil.STATUS_ZOMBIE:
            os.waitpid(child.pid, os.WNOHANG)


def _start_parent(home: Path, lifeline: str) -> tuple[subprocess.Popen[str], list[int]]:
    env = {
        **os.environ,
        "CHAOSGUARD_HOME": str(home),
        "CHAOSGUARD_LIFELINE": lifeline,
        "PYTHONPATH": str(ROOT),
    }
    backends = "stress-ng" if shutil.which("stress-ng") else "builtin"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, backends],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    line = parent.stdout.readline() if parent.stdout else ""
    if not line:
        parent.kill()
        pytest.fail(f"stress parent failed: {parent.stderr.read() if parent.stderr else ''}")
    return parent, json.loads(line)


def _stressng_children(pids: list[int]) -> list[int]:
    """Stressor processes of stress-ng, which carry no record flag (found through their parents)."""
    found = []
    for pid in pids:
        try:
            found += [c.pid for c in psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    return found


def test_workers_die_within_2_s_when_the_runner_is_killed(chaosguard_home: Path) -> None:
    parent, pids = _start_parent(chaosguard_home, "on")
    everything = pids + _stressng_children(pids)
    assert not any(gone(pid) for pid in everything)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert wait_until(lambda: all_gone(everything), timeout=2.0), [
        p for p in everything if not gone(p)
    ]


def test_without_lifeline_workers_survive_and_cleanup_reverts_them(
    chaosguard_home: Path, reaping_init: None
) -> None:
    parent, pids = _start_parent(chaosguard_home, "off")
    everything = pids + _stressng_children(pids)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert not wait_until(lambda: any(gone(pid) for pid in everything), timeout=0.5)  # they survive

    items = cleanup_dead_runs()
    assert sorted(item.kind for item in items) == sorted(
        ["cpu-stress", "memory-stress"] + (["cpu-stress"] if shutil.which("stress-ng") else [])
    )
    assert {item.outcome for item in items} == {"reverted"}, items
    assert wait_until(lambda: all_gone(everything), timeout=2.0), [
        p for p in everything if not gone(p)
    ]
    assert cleanup_dead_runs() == []  # nothing left: the dead run was archived
