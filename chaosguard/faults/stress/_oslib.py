"""Linux process helpers for the stress workers (standard library only: workers start fast)."""

from __future__ import annotations

import ctypes
import os
import signal
import time

__all__ = [
    "close_inherited_fds",
    "reap_children",
    "rss_bytes",
    "set_child_subreaper",
    "set_parent_death_signal",
    "usable_cpus",
]

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PAGE = os.sysconf("SC_PAGE_SIZE")


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def set_parent_death_signal(sig: int = signal.SIGKILL) -> None:
    """Have the kernel send ``sig`` to this process when the thread that forked it exits."""
    _prctl(_PR_SET_PDEATHSIG, int(sig))


def set_child_subreaper() -> None:
    """Adopt orphaned descendants so this process can reap them (an init that never reaps is common
    in containers and micro-VMs; without this, killed grandchildren would stay zombies)."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def reap_children(timeout: float = 1.0) -> None:
    """Wait until this process has no children left (adopted orphans too), up to ``timeout`` s."""
    end = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() >= end:
                return
            time.sleep(0.002)


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size of ``pid`` from ``/proc/<pid>/statm`` (0 when the process is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def close_inherited_fds(keep: tuple[int, ...] = ()) -> None:
    """Close every descriptor above stderr except ``keep`` (a forked child must not hold the
    parent's pipes: a ready pipe held open would hide the parent's death from the runner)."""
    low = 3
    for fd in sorted(k for k in keep if k >= 3):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 16)
