"""Identify processes across time: a pid plus its start time, so a reused pid is never mistaken."""

from __future__ import annotations

import math
import os

import psutil
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

__all__ = [
    "ProcessIdentity",
    "WorkerHandles",
    "is_alive",
    "process_start_time",
    "same_process",
    "self_identity",
]

#: two start times closer than this are the same process (psutil rounds to clock ticks)
START_TOLERANCE_S = 0.05


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


def process_start_time(pid: int) -> float | None:
    """Start time (epoch seconds) of ``pid``, or ``None`` when no such process exists."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, ValueError):
        return None


def is_alive(pid: int, start_time: float | None) -> bool:
    """True when ``pid`` runs and is the same process that started at ``start_time``."""
    if pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        current = proc.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    return start_time is None or abs(current - start_time) < START_TOLERANCE_S


def same_process(identity: ProcessIdentity) -> psutil.Process | None:
    """The process ``identity`` names while it runs (same pid *and* start time), else ``None``."""
    try:
        proc = psutil.Process(identity.pid)
        if (
            abs(proc.create_time() - identity.create_time) < START_TOLERANCE_S
            and proc.status() != psutil.STATUS_ZOMBIE
        ):
            return proc
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        pass
    return None


def self_identity() -> tuple[int, float]:
    """This process's pid and start time."""
    pid = os.getpid()
    start = process_start_time(pid)
    assert start is not None
    return pid, start


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
