"""The pydantic models of process identities and worker handles, as ledger records carry them.

A pid is only ever trusted *with* its start time. Re-exported by :mod:`chaosguard.ledger.identity`
(loaded on first use: a run that never checks a worker's handles does not build these models).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

__all__ = ["ProcessIdentity", "WorkerHandles"]


class ProcessIdentity(BaseModel):
    """A process as a ledger names it: pid *and* start time; neither is optional."""

    model_config = ConfigDict(frozen=True)

    pid: StrictInt = Field(gt=1)
    create_time: float

    @field_validator("create_time")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            raise ValueError("must be a process start time (seconds since the epoch)")
        return value


class WorkerHandles(BaseModel):
    """Handles of a fault made of worker processes: a pid only ever *with* its start time."""

    model_config = ConfigDict(frozen=True, extra="allow")

    pid: StrictInt | None = Field(default=None, gt=1)
    pids: list[StrictInt] = []
    create_time: float | None = None

    @field_validator("pids")
    @classmethod
    def _real_pids(cls, value: list[int]) -> list[int]:
        if any(pid <= 1 for pid in value):
            raise ValueError("every pid must be greater than 1")
        return value

    @field_validator("create_time")
    @classmethod
    def _start(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise ValueError("must be a process start time (seconds since the epoch)")
        return value

    @model_validator(mode="after")
    def _identity(self) -> WorkerHandles:
        if (self.pid is not None or self.pids) and self.create_time is None:
            raise ValueError(
                "create_time missing: a pid without its start time is never signalled "
                "(the pid may belong to another process by now)"
            )
        return self

    def describe(self, record_id: str) -> str:
        """The exact processes a revert may stop."""
        pids = sorted({*([self.pid] if self.pid else []), *self.pids})
        named = ", ".join(str(p) for p in pids) or "none recorded"
        return (
            f"pid {named} (started {self.create_time}) and processes whose command line "
            f"carries --chaosguard-record={record_id}"
        )
