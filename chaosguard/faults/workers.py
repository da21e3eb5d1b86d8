"""Worker processes of local faults: spawn them tied to the runner, find and stop them later.

A worker is ``python -m <module> --chaosguard-record=<record id> ...`` started in its own session.
It gets the read end of this process's *lifeline* pipe; the runner keeps the only write end
(close-on-exec), so when the runner dies for any reason — SIGKILL included — the worker reads EOF
and exits (see :mod:`chaosguard.faults.child`). A pipe is used rather than ``PR_SET_PDEATHSIG``
because the death signal fires when the spawning *thread* exits, and Chaos Toolkit runs activities
in short-lived threads.

Stopping trusts nothing but the record: a process is ours when its pid and start time match the
record, or when its command line carries the record id (covers a crash between spawn and the ledger
update).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from chaosguard.errors import InjectionError
from chaosguard.ledger.paths import ensure_dir, state_dir
from chaosguard.ledger.store import FaultRecord

__all__ = ["lifeline_fd", "spawn_worker", "record_processes", "terminate_record", "RECORD_FLAG"]

RECORD_FLAG = "--chaosguard-record="

_lifeline: tuple[int, int] | None = None
_lifeline_lock = threading.Lock()


def lifeline_fd() -> int:
    """Read end of this process's lifeline pipe (made once; the write end never leaves here)."""
    global _lifeline
    with _lifeline_lock:
        if _lifeline is None or os.getpid() != _lifeline_owner:
            _set_lifeline(os.pipe2(os.O_CLOEXEC))
        assert _lifeline is not None
        return _lifeline[0]


_lifeline_owner = -1


def _set_lifeline(fds: tuple[int, int]) -> None:
    global _lifeline, _lifeline_owner
    _lifeline, _lifeline_owner = fds, os.getpid()


def log_path(record: FaultRecord) -> Path:
    """Where a worker of ``record`` writes its stderr."""
    return ensure_dir(state_dir() / "logs") / f"{record.id}.log"


def spawn_worker(
    record: FaultRecord, module: str, args: list[str], *, nice: int = 0, ready_timeout: float = 10.0
) -> dict[str, Any]:
    """Start a worker and wait for its ready message; return handles (pid, start time, ready info).

    The worker reports readiness with :func:`chaosguard.faults.child.report_ready`; a worker that
    exits or reports an error first raises :class:`InjectionError` with its message.
    """
    ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
    life = lifeline_fd()
    log = open(log_path(record), "ab")  # noqa: SIM115 - handed to the child
    cmd = [
        sys.executable,
        "-m",
        module,
        f"{RECORD_FLAG}{record.id}",
        f"--lifeline-fd={life}",
        f"--ready-fd={ready_w}",
        f"--nice={nice}",
        *args,
    ]
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            pass_fds=(life, ready_w),
            start_new_session=True,
            close_fds=True,
        )
    finally:
        os.close(ready_w)
        log.close()
    try:
        message = _read_ready(ready_r, ready_timeout, proc)
    finally:
        os.close(ready_r)
    if message.get("error") or proc.poll() is not None:
        _kill(proc.pid)
        detail = (
            message.get("error")
            or _tail(log_path(record))
            or f"worker exited with {proc.returncode}"
        )
        raise InjectionError(f"{module.rsplit('.', 1)[-1]} worker failed: {detail}")
    handles = {"pid": proc.pid, "create_time": psutil.Process(proc.pid).create_time()}
    handles.update(message.get("info", {}))
    _reap_in_background(proc)
    return handles


def _read_ready(fd: int, timeout: float, proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return {"error": f"not ready after {timeout:g} s"}
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                proc.wait(timeout=2)
                return {}
            buf += chunk
    message: dict[str, Any] = json.loads(buf.split(b"\n", 1)[0])
    return message


def _reap_in_background(proc: subprocess.Popen[bytes]) -> None:
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def record_processes(record: FaultRecord) -> list[psutil.Process]:
    """Live processes that belong to ``record`` (by pid + start time, or by the record flag)."""
    found: dict[int, psutil.Process] = {}
    pids = record.handles.get("pids") or (
        [record.handles["pid"]] if "pid" in record.handles else []
    )
    created = record.handles.get("create_time")  # no start time recorded: only the flag counts
    for pid in pids:
        try:
            proc = psutil.Process(int(pid))
            same = created is not None and abs(proc.create_time() - float(created)) < 0.05
            if same or _has_flag(proc, record.id):
                found[proc.pid] = proc
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    flag = f"{RECORD_FLAG}{record.id}"
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if flag in (proc.info.get("cmdline") or []):
                found[proc.pid] = proc
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    found.pop(os.getpid(), None)
    return [p for p in found.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _has_flag(proc: psutil.Process, record_id: str) -> bool:
    try:
        return f"{RECORD_FLAG}{record_id}" in proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def terminate_record(record: FaultRecord, grace: float = 1.0) -> str:
    """Stop every process of ``record``: SIGTERM, then SIGKILL after ``grace`` s; the outcome.

    A zombie counts as gone: an orphaned worker is reaped by init whenever init gets to it (some
    inits take seconds), and a zombie holds no fault.
    """
    procs = record_processes(record)
    if not procs:
        return "vanished"
    for proc in procs:
        _signal(proc, signal.SIGCONT)
        _signal(proc, signal.SIGTERM)
    alive = _wait_gone(procs, grace)
    for proc in alive:
        _signal(proc, signal.SIGKILL)
    alive = _wait_gone(alive, 2.0)
    if alive:
        raise OSError(f"processes {[p.pid for p in alive]} survived SIGKILL")
    return "reverted"


def _gone(proc: psutil.Process) -> bool:
    """Not running, or a zombie whose other threads are gone too (a zombie leader can still have
    exiting threads holding the process's files, e.g. a listening socket, for a moment)."""
    try:
        if not proc.is_running():
            return True
        if proc.status() != psutil.STATUS_ZOMBIE:
            return False
        return len(os.listdir(f"/proc/{proc.pid}/task")) <= 1
    except (psutil.NoSuchProcess, psutil.ZombieProcess, FileNotFoundError):
        return True


def _wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Poll until every process is gone (or a zombie); those still alive after ``timeout``."""
    deadline = time.monotonic() + timeout
    alive = [p for p in procs if not _gone(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.005)
        alive = [p for p in alive if not _gone(p)]
    return alive


def _signal(proc: psutil.Process, sig: int) -> None:
    try:
        proc.send_signal(sig)
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
