"""Select local processes by pid file or name pattern, never the runner, its ancestors or pid 1."""

from __future__ import annotations

import os
import re
from pathlib import Path

import psutil

from chaosguard.errors import InvalidArgument, Refused
from chaosguard.faults.process import ProcessTarget

__all__ = ["protected_pids", "select_processes"]


def protected_pids() -> set[int]:
    """pid 1, this process and its ancestors (the shell or CI job that runs us)."""
    me = psutil.Process()
    return {1, me.pid, *(p.pid for p in me.parents())}


def _from_pid_file(pid_file: str) -> list[psutil.Process]:
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


def _from_pattern(pattern: str) -> list[psutil.Process]:
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise InvalidArgument("name_pattern", f"not a regular expression: {exc}") from None
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if not cmdline:  # kernel threads and zombies
            continue
        if regex.search(proc.info.get("name") or "") or regex.search(cmdline):
            found.append(proc)
    return found


def select_processes(pid_file: str, name_pattern: str, max_processes: int) -> list[ProcessTarget]:
    """Resolve the targets; refuse protected processes and more than ``max_processes`` matches."""
    if bool(pid_file) == bool(name_pattern):
        raise InvalidArgument("pid_file", "give exactly one of pid_file or name_pattern")
    if max_processes < 1:
        raise InvalidArgument("max_processes", f"must be >= 1 (got {max_processes})")
    procs = _from_pid_file(pid_file) if pid_file else _from_pattern(name_pattern)
    field = "pid_file" if pid_file else "name_pattern"
    protected = protected_pids()
    if pid_file and procs[0].pid in protected:
        raise Refused(f"{field}: pid {procs[0].pid} is pid 1, the runner or one of its parents")
    procs = [p for p in procs if p.pid not in protected and p.pid != os.getpid()]
    if not procs:
        raise InvalidArgument(field, f"no process matches {name_pattern!r} (the runner and pid 1 never do)")
    if len(procs) > max_processes:
        raise Refused(f"{field} matches {len(procs)} processes, more than max_processes={max_processes}")
    targets = []
    for proc in procs:
        try:
            targets.append(ProcessTarget(pid=proc.pid, create_time=proc.create_time(), name=proc.name()))
        except psutil.NoSuchProcess:
            continue
    return targets
