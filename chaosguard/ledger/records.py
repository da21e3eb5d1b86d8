"""Records and how a run file folds into them: the one place a ledger file is parsed and judged.

A run file is read without following a symbolic link (``O_NOFOLLOW``, a regular file, at most
:data:`MAX_RUN_FILE` bytes). Each line is validated as the line it claims to be (the compiled
models of :mod:`~chaosguard.ledger.record_models`, by ``op``; pydantic when the compiled validator
is not sure); a line that is not JSON (a torn write after a crash) is skipped, since it names
nothing to act on. Anything else that is wrong (``[1,2]``, an unknown ``op``, a record that
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
from typing import TYPE_CHECKING, Any

from chaosguard.compiled.engine import NotFast
from chaosguard.compiled.models import build, compiled
from chaosguard.ledger.identity import is_alive

__all__ = ["MAX_RUN_FILE", "FaultRecord", "RunState", "changed", "fold_run", "valid_id"]

#: a run id or record id: letters, digits, ``.``, ``_``, ``-`` (never a path)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
#: a run file larger than this is not read (no run writes that much)
MAX_RUN_FILE = 64 * 1024 * 1024


class FaultRecord:
    """Everything needed to revert one fault without the process that injected it.

    Made by :meth:`new` (or read from a run file): a frozen instance of the compiled record model,
    or of the pydantic :class:`~chaosguard.ledger.record_models.FaultRecordModel` when the
    compiled validator was not sure; both are a ``FaultRecord``.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        id: str
        run_id: str
        kind: str
        spec: dict[str, Any]
        handles: dict[str, Any]
        revertible: bool
        created_at: float
        closed_at: float | None
        outcome: str | None
        #: the spec before the latest ``change`` (``None`` when the fault never changed)
        prior_spec: dict[str, Any] | None
        #: why the latest change was not applied; while set, ``spec`` or ``prior_spec`` may be
        #: in force
        change_error: str | None

        def model_copy(self, *, update: dict[str, Any] | None = None) -> FaultRecord: ...
        def model_dump(self, *, mode: str = "python") -> dict[str, Any]: ...

    @staticmethod
    def new(**fields: Any) -> FaultRecord:
        """A record from its fields (``id``, ``run_id``, ``kind``, ``spec``, ``created_at``, and
        optionally ``handles``, ``revertible``, ...); ``ValueError`` when they are not valid."""
        record: FaultRecord = build(RECORD_MODEL, fields)
        return record

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


#: The model of each line, by ``op`` (names of :data:`chaosguard.compiled.models.MODELS`).
_LINE_MODELS = {
    "run": "RunLine",
    "open": "OpenLine",
    "update": "UpdateLine",
    "change": "ChangeLine",
    "change-failed": "ChangeFailedLine",
    "close": "CloseLine",
    "end": "EndLine",
}
RECORD_MODEL = "chaosguard.ledger.record_models:FaultRecordModel"


_OPS = frozenset(_LINE_MODELS)


def _validated(entry: dict[str, Any], number: int) -> Any:
    """``entry`` validated as the line its ``op`` names; ``ValueError`` naming what is wrong."""
    try:
        return compiled().validate(_LINE_MODELS[entry["op"]], entry)
    except NotFast:
        pass
    from pydantic import ValidationError

    from chaosguard.ledger.record_models import ANY_LINE

    try:
        return ANY_LINE.validate_python(entry)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"]) or "line"
        raise ValueError(
            f"line {number}: {where}: {err['msg'].removeprefix('Value error, ')}"
        ) from None


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
    line = _validated(entry, number)
    if line.op == "run":
        if number != 1:
            raise ValueError(f"line {number}: a 'run' line after line 1")
        state.pid, state.start_time = line.pid, line.start_time
        state.host, state.argv, state.started_at = line.host, line.argv, line.at
        return
    if number == 1:
        raise ValueError("line 1 is not the 'run' line")
    if line.op == "end":
        state.ended_at = line.at
        return
    if line.op == "open":
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
    if line.op == "update":
        new = old.model_copy(update={"handles": {**old.handles, **line.handles}})
    elif line.op == "change":
        new = changed(old, line.spec)
    elif line.op == "change-failed":
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
        except ValueError as exc:
            state.problem = str(exc)
            break
    return state


def valid_id(text: str) -> bool:
    """True for a run or record id (letters, digits, ``.``, ``_``, ``-``; never a path)."""
    return bool(_ID.match(text)) and ".." not in text
