"""The fault ledger: a crash-safe, append-only record of every fault chaosguard injects.

Each run (one runner process) owns one JSON-lines file ``<state>/ledger/<run_id>.jsonl``. Its
first line names the runner (pid and start time); then these lines follow, each written with
``O_APPEND`` and fsync'ed before the call returns::

    {"op": "open", "record": {...}}                 a fault is about to be injected
    {"op": "update", "id", "handles": {...}}         what inject (or a change) learned: pids, uids
    {"op": "change", "id", "spec": {...}, "at"}      the fault is about to change to this spec
    {"op": "change-failed", "id", "error", "at"}     that change was not (fully) applied
    {"op": "close", "id", "at", "outcome"}           the fault is gone (reverted, vanished, ...)
    {"op": "end", "at"}                              the run finished

A record is open from the moment it is written, *before* the fault is injected, until its revert
succeeded; a change is written before it is applied, so the record's ``spec`` is always the newest
state that may be in force (with ``prior_spec`` and ``change_error`` when a change failed halfway).
The owner holds an exclusive ``flock`` on its file for its lifetime: when the lock can be taken by
someone else, the owner is dead and its open records are leftovers for
:mod:`chaosguard.faults.cleanup`.

A line that is not JSON (a torn write after a crash) is ignored on read. A line that is JSON but
not one of the lines above (``[1,2]``, an unknown ``op``, a record that does not validate, a record
of another run) makes the whole file untrusted: :attr:`RunState.problem` says why, and cleanup moves
the file to ``ledger/quarantine/`` (:func:`quarantine`) instead of acting on it. Run files are
never opened through a symbolic link (``O_NOFOLLOW``); a link in their place is a problem too.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import stat
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chaosguard.errors import LedgerError
from chaosguard.ledger.files import atomic_write, fsync_dir
from chaosguard.ledger.identity import self_identity
from chaosguard.ledger.paths import checked_state_dir, private_dir, state_dir
from chaosguard.ledger.records import FaultRecord, RunState, changed, fold_run

__all__ = [
    "FaultRecord",
    "RunState",
    "RunLedger",
    "ledger_dir",
    "read_run",
    "iter_runs",
    "current_run",
    "existing_run",
    "forget_current_runs",
    "quarantine",
    "quarantine_dir",
]


def ledger_dir(root: Path | None = None) -> Path:
    """The directory holding run files (``<state>/ledger``), after checking the state directory
    (ours, not writable by group or others; :class:`~chaosguard.errors.Refused` otherwise)."""
    base = root if root is not None else state_dir()
    try:
        checked = checked_state_dir(base)
    except OSError as exc:  # name the ledger dir, as creating it with its parents would
        raise type(exc)(exc.errno, exc.strerror, str(Path(base) / "ledger")) from None
    return private_dir(checked, "ledger")


def quarantine_dir(root: Path | None = None) -> Path:
    """Where untrusted run files go (``<state>/ledger/quarantine``)."""
    return private_dir(ledger_dir(root), "quarantine")


def read_run(path: Path) -> RunState:
    """Fold one run file into a :class:`RunState`."""
    return fold_run(path)


def iter_runs(root: Path | None = None) -> Iterator[RunState]:
    """Every run in the ledger (archived runs excluded), oldest file first."""
    for path in sorted(ledger_dir(root).glob("*.jsonl")):
        yield fold_run(path)


class RunLedger:
    """The append side of one run's file; its owner holds an exclusive flock on it while alive."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.run_id = path.stem
        self._fd = fd
        self._lock = threading.Lock()

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path | None = None, run_id: str | None = None) -> RunLedger:
        """Create and lock a new run file for this process."""
        run_id = run_id or time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        directory = ledger_dir(root)
        path = directory / f"{run_id}.jsonl"
        try:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
            fd = os.open(path, flags | os.O_NOFOLLOW, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise LedgerError(f"cannot create ledger file {path}: {exc.strerror}") from exc
        ledger = cls(path, fd)
        pid, start = self_identity()
        ledger._append(
            {
                "op": "run",
                "pid": pid,
                "start_time": start,
                "host": socket.gethostname(),
                "argv": sys.argv[:8],
                "at": time.time(),
            }
        )
        fsync_dir(directory)
        return ledger

    @classmethod
    def adopt(cls, path: Path) -> RunLedger | None:
        """Lock a dead run's file to clean it up; ``None`` while its owner or a cleaner has it."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW)
        except (FileNotFoundError, IsADirectoryError):
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return cls(path, -1)  # a link: never written through; quarantine moves the link
            raise LedgerError(f"cannot open ledger file {path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            os.write(fd, b"\n")  # end a torn last line, so our lines stay lines of their own
        return cls(path, fd)

    def release(self) -> None:
        """Drop the lock and close the file (the run file stays as evidence)."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    # -- writing -------------------------------------------------------------------------------
    def _append(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, separators=(",", ":"), default=str) + "\n").encode()
        with self._lock:
            if self._fd < 0:
                raise LedgerError(f"ledger {self.path.name} is closed")
            try:
                os.write(self._fd, line)
                os.fsync(self._fd)
            except OSError as exc:
                raise LedgerError(f"cannot write ledger {self.path}: {exc.strerror}") from exc

    def open(
        self,
        kind: str,
        spec: dict[str, Any],
        *,
        revertible: bool = True,
        handles: dict[str, Any] | None = None,
    ) -> FaultRecord:
        """Write (and fsync) a new open record *before* the fault is injected; return it."""
        record = FaultRecord.new(
            id=f"{self.run_id}.{uuid.uuid4().hex[:8]}",
            run_id=self.run_id,
            kind=kind,
            spec=spec,
            handles=handles or {},
            revertible=revertible,
            created_at=time.time(),
        )
        self._append({"op": "open", "record": record.model_dump(mode="json")})
        return record

    def update(self, record: FaultRecord, handles: dict[str, Any]) -> FaultRecord:
        """Add what inject learned (pids, uids, addresses) to an open record."""
        self._append({"op": "update", "id": record.id, "handles": handles})
        return record.model_copy(update={"handles": {**record.handles, **handles}})

    def change(self, record: FaultRecord, spec: dict[str, Any]) -> FaultRecord:
        """Write (and fsync) that ``record``'s fault is about to become ``spec``; return it changed.

        Written *before* the change is applied: from here on the record names the new spec (and the
        old one as ``prior_spec``), whatever happens next.
        """
        self._append({"op": "change", "id": record.id, "spec": spec, "at": time.time()})
        return changed(record, spec)

    def change_failed(self, record: FaultRecord, error: str) -> FaultRecord:
        """Note that the latest change of ``record`` was not (fully) applied, and why."""
        self._append({"op": "change-failed", "id": record.id, "error": error, "at": time.time()})
        return record.model_copy(update={"change_error": error})

    def close(self, record: FaultRecord, outcome: str) -> FaultRecord:
        """Mark a record closed (its fault is gone); ``outcome`` says how (reverted, ...)."""
        now = time.time()
        self._append({"op": "close", "id": record.id, "at": now, "outcome": outcome})
        return record.model_copy(update={"closed_at": now, "outcome": outcome})

    def end(self) -> None:
        """Mark the run finished."""
        self._append({"op": "end", "at": time.time()})

    def state(self) -> RunState:
        """This run folded from disk."""
        return fold_run(self.path)


_current: dict[Path, RunLedger] = {}
_current_lock = threading.Lock()


def existing_run(root: Path | None = None) -> RunLedger | None:
    """This process's run ledger under ``root`` (default state dir), if it has one yet."""
    key = (root or state_dir()).resolve()
    with _current_lock:
        return _current.get(key)


def current_run(root: Path | None = None) -> RunLedger:
    """This process's run ledger under ``root`` (default state dir), created on first use.

    A lookup and nothing else: starting a run *and* reverting dead runs' leftovers first is
    :func:`chaosguard.faults.run_ledger`'s job (this layer knows no fault kind).
    """
    key = (root or state_dir()).resolve()
    with _current_lock:
        run = _current.get(key)
        if run is None:
            run = RunLedger.create(key)
            _current[key] = run
        return run


def forget_current_runs() -> list[RunLedger]:
    """Detach this process's run ledgers (used at exit after their leftovers were reverted)."""
    with _current_lock:
        runs = list(_current.values())
        _current.clear()
    return runs


def quarantine(path: Path, reason: str, root: Path | None = None) -> Path:
    """Move the run file ``path`` (a link is moved, not followed) to ``ledger/quarantine/`` and
    write ``<name>.reason`` (0600) next to it; return the new path. Hold its lock (adopt) first."""
    directory = quarantine_dir(root if root is not None else path.parent.parent)
    target = directory / path.name
    n = 1
    while os.path.lexists(target):
        n += 1
        target = directory / f"{path.stem}-{n}{path.suffix}"
    os.rename(path, target)
    if stat.S_ISREG(os.lstat(target).st_mode):
        os.chmod(target, 0o600)
    note = f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} quarantined {path}: {reason}\n"
    atomic_write(directory / (target.name + ".reason"), note.encode(), mode=0o600)
    fsync_dir(path.parent)
    return target
