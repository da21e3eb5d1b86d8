"""Identify processes across time: a pid plus its start time, so a reused pid is never mistaken.

On Linux a start time is read from ``/proc`` with psutil's own arithmetic (``starttime`` of
``/proc/<pid>/stat`` in clock ticks, plus the boot time of ``/proc/stat``), so every run's lock and
ledger need not import psutil; elsewhere, and for :func:`same_process`, psutil answers. The
pydantic models of identities and worker handles live in :mod:`chaosguard.ledger.handles`
(re-exported here, loaded on first use).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psutil

    from chaosguard.ledger.handles import ProcessIdentity, WorkerHandles

__all__ = [
    "ProcessIdentity",
    "WorkerHandles",
    "is_alive",
    "process_start_time",
    "same_process",
    "self_identity",
]

#: two start times closer than this are the same process (psutil rounds to clock ticks)
START_TOLERANCE_S = 0.05

_MODELS = frozenset({"ProcessIdentity", "WorkerHandles"})


_NO_PROC = object()


def _boot_time() -> float | None:
    """The boot time of ``/proc/stat`` as psutil reads it, afresh like psutil (the kernel moves it
    when the clock is set); None: no usable ``/proc``."""
    try:
        with open("/proc/stat", "rb") as fh:
            for line in fh:
                if line.startswith(b"btime"):
                    return float(line.strip().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _proc_stat(pid: int) -> tuple[bytes, float] | object | None:
    """``(state letter, start time)`` of ``pid`` from ``/proc``; None when no such process;
    :data:`_NO_PROC` when ``/proc`` cannot answer (then psutil does)."""
    boot = _boot_time()
    if boot is None:
        return _NO_PROC
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except (FileNotFoundError, ProcessLookupError, NotADirectoryError):
        return None
    except OSError:
        return _NO_PROC
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return fields[0], float(fields[19]) / os.sysconf("SC_CLK_TCK") + boot
    except (IndexError, ValueError):
        return _NO_PROC


def process_start_time(pid: int) -> float | None:
    """Start time (epoch seconds) of ``pid``, or ``None`` when no such process exists."""
    if pid < 0:
        return None
    found = _proc_stat(pid) if pid > 0 else _NO_PROC
    if isinstance(found, tuple):
        start: float = found[1]
        return start
    if found is None:
        return None
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.ZombieProcess, ValueError):
        return None


def is_alive(pid: int, start_time: float | None) -> bool:
    """True when ``pid`` runs and is the same process that started at ``start_time``."""
    if pid <= 0:
        return False
    found = _proc_stat(pid)
    if found is None:
        return False
    if isinstance(found, tuple):
        state, current = found
        if state == b"Z":
            return False
        return start_time is None or abs(current - start_time) < START_TOLERANCE_S
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        current = proc.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    return start_time is None or abs(current - start_time) < START_TOLERANCE_S


def same_process(identity: ProcessIdentity) -> psutil.Process | None:
    """The process ``identity`` names while it runs (same pid *and* start time), else ``None``."""
    import psutil

    try:
        proc = psutil.Process(identity.pid)
        if (
            abs(proc.create_time() - identity.create_time) < START_TOLERANCE_S
            and proc.status() != psutil.STATUS_ZOMBIE
        ):
            return proc
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        pass
    return None


def self_identity() -> tuple[int, float]:
    """This process's pid and start time."""
    pid = os.getpid()
    start = process_start_time(pid)
    assert start is not None
    return pid, start


def __getattr__(name: str) -> Any:
    if name in _MODELS:  # pydantic models: built only where handles are checked
        from chaosguard.ledger import handles

        return getattr(handles, name)
    raise AttributeError(f"module 'chaosguard.ledger.identity' has no attribute {name!r}")
