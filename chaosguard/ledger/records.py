"""Records and how a run file folds into them: the one place a ledger file is parsed and judged.

A run file is read without following a symbolic link (``O_NOFOLLOW``, a regular file, at most
:data:`MAX_RUN_FILE` bytes). Each line is validated as the line it claims to be (pydantic models,
discriminated on ``op``); a line that is not JSON (a torn write after a crash) is skipped, since it
names nothing to act on. Anything else that is wrong (``[1,2]``, an unknown ``op``, a record that
does not validate or belongs to another run, an update of an unknown record) stops the fold and sets
:attr:`RunState.problem`: the file is not trusted, and cleanup quarantines it.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError

from chaosguard.ledger.identity import is_alive

__all__ = ["MAX_RUN_FILE", "FaultRecord", "RunState", "changed", "fold_run", "valid_id"]

#: a run id or record id: letters, digits, ``.``, ``_``, ``-`` (never a path)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
#: a run file larger than this is not read (no run writes that much)
MAX_RUN_FILE = 64 * 1024 * 1024


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
    #: why this file cannot be trusted (``None``: it folded cleanly); cleanup quarantines it
    problem: str | None = None

    @property
    def open_records(self) -> list[FaultRecord]:
        """Records whose fault may still be active, oldest first."""
        return [r for r in self.records.values() if r.is_open]

    def runner_alive(self) -> bool:
        """True when the runner process of this run still exists (same pid and start time)."""
        return self.host == socket.gethostname() and is_alive(self.pid, self.start_time)


def changed(record: FaultRecord, spec: dict[str, Any]) -> FaultRecord:
    """``record`` now running ``spec`` (the old spec kept as ``prior_spec``)."""
    return record.model_copy(update={"spec": spec, "prior_spec": record.spec, "change_error": None})


class _Line(BaseModel):
    model_config = ConfigDict(frozen=True)


class _RunLine(_Line):
    op: Literal["run"]
    pid: StrictInt
    start_time: float
    host: str = ""
    argv: list[str] = []
    at: float = 0.0


class _OpenLine(_Line):
    op: Literal["open"]
    record: FaultRecord


class _UpdateLine(_Line):
    op: Literal["update"]
    id: str
    handles: dict[str, Any]


class _ChangeLine(_Line):
    op: Literal["change"]
    id: str
    spec: dict[str, Any]
    at: float = 0.0


class _ChangeFailedLine(_Line):
    op: Literal["change-failed"]
    id: str
    error: str | None = None
    at: float = 0.0


class _CloseLine(_Line):
    op: Literal["close"]
    id: str
    at: float
    outcome: str | None = None


class _EndLine(_Line):
    op: Literal["end"]
    at: float | None = None


_ANY_LINE: TypeAdapter[Any] = TypeAdapter(
    Annotated[
        _RunLine
        | _OpenLine
        | _UpdateLine
        | _ChangeLine
        | _ChangeFailedLine
        | _CloseLine
        | _EndLine,
        Field(discriminator="op"),
    ]
)


_OPS = frozenset({"run", "open", "update", "change", "change-failed", "close", "end"})


def _why(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"]) or "line"
    return f"{where}: {err['msg'].removeprefix('Value error, ')}"


def _read_nofollow(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > MAX_RUN_FILE:
                raise OSError(errno.EFBIG, f"larger than {MAX_RUN_FILE} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _apply(state: RunState, entry: Any, number: int) -> None:
    """Fold one decoded line into ``state``; raise ValueError naming what is wrong with it."""
    if not isinstance(entry, dict):
        raise ValueError(f"line {number} is not a JSON object")
    if entry.get("op") not in _OPS:
        raise ValueError(f"line {number}: unknown op {entry.get('op')!r}")
    line = _ANY_LINE.validate_python(entry)
    if isinstance(line, _RunLine):
        if number != 1:
            raise ValueError(f"line {number}: a 'run' line after line 1")
        state.pid, state.start_time = line.pid, line.start_time
        state.host, state.argv, state.started_at = line.host, line.argv, line.at
        return
    if number == 1:
        raise ValueError("line 1 is not the 'run' line")
    if isinstance(line, _EndLine):
        state.ended_at = line.at
        return
    if isinstance(line, _OpenLine):
        rec = line.record
        if rec.run_id != state.run_id or not rec.id.startswith(state.run_id + "."):
            raise ValueError(f"line {number}: record {rec.id!r} is not of run {state.run_id!r}")
        if not _ID.match(rec.id) or ".." in rec.id:
            raise ValueError(f"line {number}: record id {rec.id!r} is not a valid id")
        if rec.id in state.records:
            raise ValueError(f"line {number}: record {rec.id} opened twice")
        state.records[rec.id] = rec
        return
    old = state.records.get(line.id)
    if old is None:
        raise ValueError(f"line {number}: '{line.op}' of unknown record {line.id!r}")
    if isinstance(line, _UpdateLine):
        new = old.model_copy(update={"handles": {**old.handles, **line.handles}})
    elif isinstance(line, _ChangeLine):
        new = changed(old, line.spec)
    elif isinstance(line, _ChangeFailedLine):
        new = old.model_copy(update={"change_error": line.error})
    else:
        new = old.model_copy(update={"closed_at": line.at, "outcome": line.outcome})
    state.records[old.id] = new


def fold_run(path: Path) -> RunState:
    """Fold the run file ``path`` into a :class:`RunState` (``problem`` set when untrusted)."""
    state = RunState(run_id=path.stem, path=path)
    if not _ID.match(state.run_id):
        state.problem = f"file name {path.name!r} is not a run id"
        return state
    try:
        lines = _read_nofollow(path).splitlines()
    except FileNotFoundError:
        return state
    except OSError as exc:
        reason = "a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
        state.problem = f"cannot be read safely: {reason}"
        return state
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # torn write after a crash: it names nothing to act on
        try:
            _apply(state, entry, number)
        except ValidationError as exc:
            state.problem = f"line {number}: {_why(exc)}"
            break
        except ValueError as exc:
            state.problem = str(exc)
            break
    return state


def valid_id(text: str) -> bool:
    """True for a run or record id (letters, digits, ``.``, ``_``, ``-``; never a path)."""
    return bool(_ID.match(text)) and ".." not in text
