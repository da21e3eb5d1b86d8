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

A torn last line (crash mid-write) is ignored on read.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from chaosguard.errors import LedgerError
from chaosguard.ledger.files import fsync_dir
from chaosguard.ledger.identity import is_alive, self_identity
from chaosguard.ledger.paths import ensure_dir, state_dir

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
]


class FaultRecord(BaseModel):
    """Everything needed to revert one fault without the process that injected it."""

    model_config = ConfigDict(frozen=True)

    id: str
    run_id: str
    kind: str
    spec: dict[str, Any]
    handles: dict[str, Any] = {}
    revertible: bool = True
    created_at: float
    closed_at: float | None = None
    outcome: str | None = None
    #: the spec before the latest ``change`` (``None`` when the fault never changed)
    prior_spec: dict[str, Any] | None = None
    #: why the latest change was not applied; while set, ``spec`` or ``prior_spec`` may be in force
    change_error: str | None = None

    @property
    def is_open(self) -> bool:
        """True while the fault may still be active in the world."""
        return self.closed_at is None


@dataclass
class RunState:
    """A run's ledger folded into its current state."""

    run_id: str
    path: Path
    pid: int = 0
    start_time: float | None = None
    host: str = ""
    argv: list[str] = field(default_factory=list)
    started_at: float = 0.0
    ended_at: float | None = None
    records: dict[str, FaultRecord] = field(default_factory=dict)

    @property
    def open_records(self) -> list[FaultRecord]:
        """Records whose fault may still be active, oldest first."""
        return [r for r in self.records.values() if r.is_open]

    def runner_alive(self) -> bool:
        """True when the runner process of this run still exists (same pid and start time)."""
        return self.host == socket.gethostname() and is_alive(self.pid, self.start_time)


def ledger_dir(root: Path | None = None) -> Path:
    """The directory holding run files (``<state>/ledger``)."""
    return ensure_dir((root or state_dir()) / "ledger")


def _changed(record: FaultRecord, spec: dict[str, Any]) -> FaultRecord:
    return record.model_copy(update={"spec": spec, "prior_spec": record.spec, "change_error": None})


def _fold(path: Path) -> RunState:
    state = RunState(run_id=path.stem, path=path)
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return state
    for raw in lines:
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # torn last line after a crash
        op = entry.get("op")
        if op == "run":
            state.pid, state.start_time = entry["pid"], entry["start_time"]
            state.host, state.argv = entry.get("host", ""), entry.get("argv", [])
            state.started_at = entry.get("at", 0.0)
        elif op == "open":
            rec = FaultRecord.model_validate(entry["record"])
            state.records[rec.id] = rec
        elif op == "update" and entry["id"] in state.records:
            old = state.records[entry["id"]]
            state.records[old.id] = old.model_copy(
                update={"handles": {**old.handles, **entry["handles"]}}
            )
        elif op == "change" and entry["id"] in state.records:
            old = state.records[entry["id"]]
            state.records[old.id] = _changed(old, entry["spec"])
        elif op == "change-failed" and entry["id"] in state.records:
            old = state.records[entry["id"]]
            state.records[old.id] = old.model_copy(update={"change_error": entry.get("error")})
        elif op == "close" and entry["id"] in state.records:
            old = state.records[entry["id"]]
            state.records[old.id] = old.model_copy(
                update={"closed_at": entry["at"], "outcome": entry.get("outcome")}
            )
        elif op == "end":
            state.ended_at = entry.get("at")
    return state


def read_run(path: Path) -> RunState:
    """Fold one run file into a :class:`RunState`."""
    return _fold(path)


def iter_runs(root: Path | None = None) -> Iterator[RunState]:
    """Every run in the ledger (archived runs excluded), oldest file first."""
    for path in sorted(ledger_dir(root).glob("*.jsonl")):
        yield _fold(path)


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
            fd = os.open(
                path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600
            )
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
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
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
        record = FaultRecord(
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
        return _changed(record, spec)

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
        return _fold(self.path)


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
