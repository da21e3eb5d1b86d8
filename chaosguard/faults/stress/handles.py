"""What a revert of ``cpu-stress`` / ``memory-stress`` trusts in a record: its shape, and its worker
processes only by pid *and* start time (or by the record flag in their command line).

The specs' own validators check the world as of now (free memory, usable CPUs, stress-ng on the
PATH): a revert must not fail because the stress it undoes is holding that memory, so here the spec
is checked for its shape only.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chaosguard.faults.contract import revalidate
from chaosguard.faults.stress.spec import Backend, Priority
from chaosguard.ledger.identity import WorkerHandles
from chaosguard.ledger.store import FaultRecord

__all__ = ["CpuShape", "MemoryShape", "check_cpu", "check_memory", "handles_of"]


class CpuShape(BaseModel):
    """A ``cpu-stress`` spec's shape (its limits were judged when it was injected)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workers: StrictInt = Field(ge=1)
    load_percent: float = Field(gt=0, le=100, allow_inf_nan=False)
    duration_s: float = Field(ge=0, allow_inf_nan=False)
    backend: Backend
    priority: Priority = "background"  # records written before the field existed


class MemoryShape(BaseModel):
    """A ``memory-stress`` spec's shape."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mib: StrictInt = Field(ge=1)
    duration_s: float = Field(ge=0, allow_inf_nan=False)
    backend: Backend
    priority: Priority = "background"  # records written before the field existed


def handles_of(record: FaultRecord) -> WorkerHandles:
    """The record's worker handles, re-validated (:class:`ValueError` naming the field)."""
    return revalidate(WorkerHandles, record.handles, "handles")


def check_cpu(record: FaultRecord) -> str:
    """Re-validate a ``cpu-stress`` record; the processes its revert may stop."""
    revalidate(CpuShape, record.spec, "spec")
    return handles_of(record).describe(record.id)


def check_memory(record: FaultRecord) -> str:
    """Re-validate a ``memory-stress`` record; the processes its revert may stop."""
    revalidate(MemoryShape, record.spec, "spec")
    return handles_of(record).describe(record.id)
