"""Memory stress with real processes: resident on return, RSS near target, populated by parallel
threads that are gone before the hold, every thread at the hold priority, released on revert."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest

from chaosguard import faults
from chaosguard.actions.stress import stop_stress, stress_memory
from chaosguard.faults.stress._memory_worker import huge_pages_help
from chaosguard.faults.stress._oslib import usable_cpus
from chaosguard.faults.stress._populate import populate_threads
from chaosguard.faults.stress.spec import MemoryStressSpec
from tests.integration.faults.test_stress_support import all_gone, processes, wait_until

MIB = 1 << 20
ROOT = Path(__file__).resolve().parents[3]


def thread_nices(pid: int) -> dict[int, int]:
    """Every thread of ``pid`` and its nice (``/proc/<pid>/task/<tid>/stat``, field 19)."""
    nices = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as fh:
            nices[int(tid)] = int(fh.read().rsplit(")", 1)[1].split()[16])
    return nices


@contextmanager
def memory_worker(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, Any]]]:
    """The memory worker started directly (as ``spawn_worker`` does, lifeline and ready pipes
    included) with ``args``; yields (process, its ready message) and kills it afterwards."""
    life_r, life_w = os.pipe()
    ready_r, ready_w = os.pipe()
    cmd = [sys.executable, "-m", "chaosguard.faults.stress._memory_worker"]
    cmd += ["--chaosguard-record=test", f"--lifeline-fd={life_r}", f"--ready-fd={ready_w}", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, pass_fds=(life_r, ready_w), env=env, start_new_session=True)
    os.close(life_r)
    os.close(ready_w)
    try:
        with os.fdopen(ready_r, "rb") as ready:
            line = ready.readline()
        assert line, f"the worker exited with {proc.wait(timeout=10)} before reporting"
        yield proc, json.loads(line)
    finally:
        proc.kill()
        proc.wait()
        os.close(life_w)


def test_memory_is_resident_when_the_action_returns_and_released_on_revert(
    chaosguard_home: Path,
) -> None:
    out = stress_memory(512)
    (record,) = faults.open_records("memory-stress")
    (worker,) = processes(out["pids"])
    rss_mib = worker.memory_info().rss / MIB
    assert 0.9 * 512 <= rss_mib <= 1.1 * 512, rss_mib  # measured from /proc right after the return
    assert 0.9 * 512 <= out["rss_mib"] <= 1.1 * 512
    assert record.handles["held_mib"] >= 0.99 * 512  # the mapping itself is fully resident
    assert worker.nice() == 19  # holds at the lowest priority once allocated
    assert set(thread_nices(worker.pid).values()) == {19}  # every thread of it
    assert record.handles["huge_pages"] is huge_pages_help()  # asked only where they help
    assert record.handles["populate"] == "madvise"  # this kernel is 5.14+
    assert record.handles["populate_threads"] == populate_threads(512 * MIB, usable_cpus())

    assert stop_stress("memory")["stopped"][0]["outcome"] == "reverted"
    assert all_gone(out["pids"])
    assert stop_stress() == {"stopped": []}


def test_priority_normal_holds_at_the_runners_priority(chaosguard_home: Path) -> None:
    record = faults.inject(
        "memory-stress", MemoryStressSpec(mib=64, duration_s=0.0, priority="normal")
    )
    (worker,) = processes([record.handles["pid"]])
    assert worker.nice() == psutil.Process().nice()
    assert record.handles["held_mib"] >= 0.99 * 64
    assert faults.revert(record).outcome == "reverted"
    assert all_gone([record.handles["pid"]])


def test_memory_is_released_after_duration(chaosguard_home: Path) -> None:
    out = stress_memory(32, duration_s=0.3)
    assert out["rss_mib"] >= 32
    assert wait_until(lambda: all_gone(out["pids"]), timeout=5.0)
    assert stop_stress()["stopped"][0]["outcome"] == "vanished"


def test_stressng_backend_reaches_rss_and_reverts(chaosguard_home: Path) -> None:
    assert shutil.which("stress-ng"), (
        "stress-ng is missing: apt-get install stress-ng (make test does it)"
    )
    out = stress_memory(128, backend="stress-ng")
    rss_mib = sum(p.memory_info().rss for p in processes(out["pids"])) / MIB
    assert rss_mib >= 0.9 * 128 and out["rss_mib"] >= 0.9 * 128
    assert stop_stress()["stopped"][0]["outcome"] == "reverted"
    assert wait_until(lambda: all_gone(out["pids"]), timeout=2.0)
    assert not [
        p
        for p in psutil.process_iter(["name"])
        if p.info["name"] == "stress-ng-vm" and p.status() != psutil.STATUS_ZOMBIE
    ]


@pytest.mark.parametrize("threads", [1, 3])
def test_populating_threads_are_gone_and_every_thread_holds_at_the_hold_nice(threads: int) -> None:
    with memory_worker("--mib", "96", "--populate-threads", str(threads)) as (proc, message):
        info = message["info"]
        assert info["populate"] == "madvise" and info["populate_threads"] == threads
        assert 0.95 * 96 <= info["held_mib"] <= 1.05 * 96  # the mapping itself, page by page
        assert 96 <= info["rss_mib"] <= 1.05 * 96 + 32  # plus the interpreter's own
        nices = thread_nices(proc.pid)
        assert len(nices) == 2  # the main thread and the lifeline watch: no populating thread
        assert set(nices.values()) == {19}


def test_hold_nice_zero_keeps_the_start_priority_on_every_thread() -> None:
    start = os.getpriority(os.PRIO_PROCESS, 0)
    with memory_worker("--mib", "32", "--hold-nice", "0", "--nice", "3") as (proc, message):
        assert message["info"]["held_mib"] >= 0.95 * 32
        assert set(thread_nices(proc.pid).values()) == {min(start + 3, 19)}
