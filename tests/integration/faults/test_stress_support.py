"""Helpers shared by the stress tests: processes and CPU figures from /proc, "gone", polling.

No tests here; the ``test_stress_`` prefix only keeps the file in the stress test set.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import psutil

__all__ = ["all_gone", "gone", "processes", "run_and_wait", "wait_until"]


def processes(pids: Iterable[int]) -> list[psutil.Process]:
    """psutil handles of ``pids`` (all must exist)."""
    return [psutil.Process(int(pid)) for pid in pids]


def run_and_wait(pid: int | str) -> tuple[float, float]:
    """Seconds ``pid`` has run on a CPU and waited on a run queue (``/proc/<pid>/schedstat``).

    The wait is CPU the process wanted and the scheduler gave to others: at nice 19 on a busy
    machine a stress worker waits instead of reaching its target, and the tests account for it.
    """
    with open(f"/proc/{pid}/schedstat") as fh:
        run_ns, wait_ns = fh.read().split()[:2]
    return int(run_ns) / 1e9, int(wait_ns) / 1e9


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs. A zombie counts as gone: it holds no CPU or memory, and
    some init processes (micro-VMs, containers without an init) never reap orphans."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def all_gone(pids: Iterable[int]) -> bool:
    """True when every pid is gone (see :func:`gone`)."""
    return all(gone(int(pid)) for pid in pids)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.02) -> bool:
    """Poll ``predicate`` until true or ``timeout`` s; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
