"""Select local processes by pid file or name pattern, never the runner, its ancestors or pid 1.

Two ways to ask, one set of rules:

- :func:`select_processes` is what the process actions use: strict (a bad pid file or pattern is an
  :class:`~chaosguard.errors.InvalidArgument` naming the field, too many matches are refused) and it
  returns :class:`ProcessTarget` s identified by pid *and* start time, so a reused pid is never
  signalled;
- :func:`resolve_processes` is what the policy judges before an action runs (``chaos guard check``
  and the guard's before-action hook): lenient, it returns what the action would select now, or
  nothing.

A pattern is a regular expression searched in the process name and its command line; processes
without a command line (kernel threads, zombies) never match. ``psutil`` is imported on use.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from chaosguard.errors import InvalidArgument, Refused

if TYPE_CHECKING:
    import psutil

__all__ = [
    "ProcessInfo",
    "ProcessTarget",
    "check_selection",
    "describe_processes",
    "protected_pids",
    "resolve_processes",
    "select_processes",
]


class ProcessTarget(BaseModel):
    """One process, identified by pid and start time."""

    model_config = ConfigDict(frozen=True)

    pid: int = Field(gt=1)
    create_time: float
    name: str = ""


@dataclass(frozen=True)
class ProcessInfo:
    """A process an action would signal, as the policy sees it."""

    pid: int
    name: str
    cmdline: str = ""


def protected_pids() -> set[int]:
    """pid 1, this process and its ancestors (the shell or CI job that runs us)."""
    import psutil

    me = psutil.Process()
    return {1, me.pid, os.getpid(), *(p.pid for p in me.parents())}


def _from_pid_file(pid_file: str) -> list[psutil.Process]:
    import psutil

    path = Path(pid_file).expanduser()
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise InvalidArgument("pid_file", f"cannot read {path}: {exc.strerror}") from None
    if not text.isdigit():
        raise InvalidArgument("pid_file", f"{path} does not hold a pid (got {text[:20]!r})")
    try:
        return [psutil.Process(int(text))]
    except psutil.NoSuchProcess:
        raise InvalidArgument("pid_file", f"no process {text} (stale pid file {path})") from None


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidArgument("name_pattern", f"not a regular expression: {exc}") from None


def _from_pattern(pattern: str) -> list[psutil.Process]:
    import psutil

    regex = _regex(pattern)
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if not cmdline:  # kernel threads and zombies
            continue
        if regex.search(proc.info.get("name") or "") or regex.search(cmdline):
            found.append(proc)
    return found


def _find(pid_file: str, name_pattern: str) -> list[psutil.Process]:
    if bool(pid_file) == bool(name_pattern):
        raise InvalidArgument("pid_file", "give exactly one of pid_file or name_pattern")
    return _from_pid_file(pid_file) if pid_file else _from_pattern(name_pattern)


def check_selection(pid_file: str, name_pattern: str, max_processes: int) -> None:
    """The selection arguments' own rules, before any process is looked at (``InvalidArgument``
    naming the first bad one)."""
    if max_processes < 1:
        raise InvalidArgument("max_processes", f"must be >= 1 (got {max_processes})")
    if bool(pid_file) == bool(name_pattern):
        raise InvalidArgument("pid_file", "give exactly one of pid_file or name_pattern")
    if name_pattern:
        _regex(name_pattern)


def select_processes(pid_file: str, name_pattern: str, max_processes: int) -> list[ProcessTarget]:
    """Resolve the targets; refuse protected processes and more than ``max_processes`` matches."""
    import psutil

    check_selection(pid_file, name_pattern, max_processes)
    procs = _find(pid_file, name_pattern)
    field = "pid_file" if pid_file else "name_pattern"
    protected = protected_pids()
    if pid_file and procs[0].pid in protected:
        raise Refused(f"{field}: pid {procs[0].pid} is pid 1, the runner or one of its parents")
    procs = [p for p in procs if p.pid not in protected]
    if not procs:
        raise InvalidArgument(
            field, f"no process matches {name_pattern!r} (the runner and pid 1 never do)"
        )
    if len(procs) > max_processes:
        raise Refused(
            f"{field} matches {len(procs)} processes, more than max_processes={max_processes}"
        )
    targets = []
    for proc in procs:
        try:
            targets.append(
                ProcessTarget(pid=proc.pid, create_time=proc.create_time(), name=proc.name())
            )
        except psutil.NoSuchProcess:
            continue
    return targets


def resolve_processes(pid_file: str = "", name_pattern: str = "") -> list[ProcessInfo]:
    """The processes a process action with these arguments would select now (nothing is signalled).

    Same rules as :func:`select_processes`; unreadable pid files and bad patterns give an empty list
    (the action itself reports them).
    """
    import psutil

    try:
        procs = _find(pid_file, name_pattern)
    except InvalidArgument:
        return []
    protected = protected_pids()
    found = []
    for proc in procs:
        if proc.pid in protected:
            continue
        try:
            found.append(ProcessInfo(proc.pid, proc.name(), " ".join(proc.cmdline())))
        except psutil.Error:
            continue
    return found


def describe_processes(targets: list[ProcessTarget]) -> list[ProcessInfo]:
    """The selected ``targets`` as the policy judges them: name and command line read now.

    A target that has exited (or whose pid now belongs to another process) keeps the name it was
    selected by and an empty command line.
    """
    import psutil

    out = []
    for target in targets:
        cmdline = ""
        try:
            proc = psutil.Process(target.pid)
            if abs(proc.create_time() - target.create_time) < 0.05:
                cmdline = " ".join(proc.cmdline())
        except psutil.Error:
            pass
        out.append(ProcessInfo(target.pid, target.name, cmdline))
    return out
