"""Memory stress with real processes: resident on return, RSS near target, released on revert."""

from __future__ import annotations

import shutil
from pathlib import Path

import psutil

from chaosguard import faults
from chaosguard.actions.stress import stop_stress, stress_memory
from chaosguard.faults.stress._memory_worker import huge_pages_help
from chaosguard.faults.stress.spec import MemoryStressSpec
from tests.integration.faults.test_stress_support import all_gone, processes, wait_until

MIB = 1 << 20


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
    assert record.handles["huge_pages"] is huge_pages_help()  # asked only where they help

    assert stop_stress("memory")["stopped"][0]["outcome"] == "reverted"
    assert all_gone(out["pids"])
    assert stop_stress() == {"stopped": []}


def test_priority_normal_holds_at_the_runners_priority(chaosguard_home: Path) -> None:
    record = faults.inject("memory-stress", MemoryStressSpec(mib=64, priority="normal"))
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
