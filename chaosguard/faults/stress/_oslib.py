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
    "autogroup_nice",
    "group_nice",
    "set_autogroup_nice",
    "set_child_subreaper",
    "set_idle_policy",
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


def set_autogroup_nice(nice: int | None = None, pid: int | str = "self") -> bool:
    """Give ``pid``'s *autogroup* the ``nice`` value (default: this thread's own nice); False where
    the kernel has no autogroups or refuses (another user's process).

    With ``kernel.sched_autogroup_enabled`` (the default of most distributions) every session is
    one scheduling group, and groups share the CPU by the *group's* nice, not their tasks': a
    worker in its own session at nice 19 still gets a whole nice-0 group's share against the
    runner's session and everyone else's. Raising an autogroup's nice (lower priority), or setting
    it back to 0, needs no privilege, for any process of the same user.
    """
    value = os.getpriority(os.PRIO_PROCESS, 0) if nice is None else nice
    try:
        with open(f"/proc/{pid}/autogroup", "w") as fh:
            fh.write(str(value))
        return True
    except OSError:
        return False


def set_idle_policy() -> bool:
    """Move this process to ``SCHED_IDLE`` (allowed without privilege): it runs only when nothing
    else wants the CPU, and any waking task of a normal policy preempts it at once, whatever the
    scheduling groups (a nice-19 task may keep the CPU for the rest of its slice). False where the
    platform has no ``SCHED_IDLE``."""
    policy = getattr(os, "SCHED_IDLE", None)
    if policy is None:  # pragma: no cover - non-Linux
        return False
    try:
        os.sched_setscheduler(0, policy, os.sched_param(0))
        return True
    except OSError:
        return False


def autogroup_nice(pid: int | str = "self") -> int | None:
    """The nice of ``pid``'s autogroup (``/autogroup-N nice V``), None without autogroups."""
    try:
        with open(f"/proc/{pid}/autogroup") as fh:
            return int(fh.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


AUTOGROUP_SYSCTL = "/proc/sys/kernel/sched_autogroup_enabled"


def group_nice() -> int | None:
    """The nice at which this process's scheduling group competes, None without autogroups
    (``kernel.sched_autogroup_enabled`` off or absent).

    A process in its own session reads its autogroup's nice. One that never left the first
    session (a CI runner started by a container's init) sits in the root group, where there is no
    autogroup to read: its tasks compete one by one, so their own nice is the group's share.
    """
    try:
        with open(AUTOGROUP_SYSCTL) as fh:
            if fh.read().strip() != "1":
                return None
    except OSError:
        return None
    mine = autogroup_nice()
    return os.getpriority(os.PRIO_PROCESS, 0) if mine is None else mine


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
