"""The pydantic models of a run file's lines: what :mod:`chaosguard.compiled` compiles for the fold
(:mod:`chaosguard.ledger.records`), and what decides (with its error) the lines the compiled
validator is not sure of. Only that fallback and the tests import this module at run time.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter

from chaosguard.ledger.records import FaultRecord

__all__ = ["ANY_LINE", "FaultRecordModel"]


class FaultRecordModel(FaultRecord, BaseModel):  # type: ignore[misc]
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


class _Line(BaseModel):
    model_config = ConfigDict(frozen=True)


class RunLine(_Line):
    op: Literal["run"]
    pid: StrictInt
    start_time: float
    host: str = ""
    argv: list[str] = []
    at: float = 0.0


class OpenLine(_Line):
    op: Literal["open"]
    record: FaultRecordModel


class UpdateLine(_Line):
    op: Literal["update"]
    id: str
    handles: dict[str, Any]


class ChangeLine(_Line):
    op: Literal["change"]
    id: str
    spec: dict[str, Any]
    at: float = 0.0


class ChangeFailedLine(_Line):
    op: Literal["change-failed"]
    id: str
    error: str | None = None
    at: float = 0.0


class CloseLine(_Line):
    op: Literal["close"]
    id: str
    at: float
    outcome: str | None = None


class EndLine(_Line):
    op: Literal["end"]
    at: float | None = None


#: Any line, discriminated on ``op`` (the fallback; its errors name the op first).
ANY_LINE: TypeAdapter[Any] = TypeAdapter(
    Annotated[
        RunLine | OpenLine | UpdateLine | ChangeLine | ChangeFailedLine | CloseLine | EndLine,
        Field(discriminator="op"),
    ]
)
