"""The ``cpu-stress`` fault kind: ``workers`` processes, each busy ``load_percent`` of one CPU.

The builtin backend holds each process's own CPU time on target with a closed loop (see
:mod:`._dutycycle`); the ``stress-ng`` backend runs ``stress-ng --cpu N --cpu-load L`` (open loop).
Both run at nice 19, die with the runner, and stop by themselves after ``duration_s`` (0 = until
reverted).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from chaosguard.faults.stress import stressng
from chaosguard.faults.stress._common import (
    NICE,
    Backend,
    WorkerKind,
    check_backend,
    max_workers,
    reject_bool,
)
from chaosguard.faults.workers import spawn_worker
from chaosguard.ledger.store import FaultRecord

__all__ = ["KIND", "CpuStress", "CpuStressSpec"]

WORKER = "chaosguard.faults.stress._cpu_worker"


class CpuStressSpec(BaseModel):
    """What to load: how many processes, how busy each one is, for how long, with which backend."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workers: Annotated[int, BeforeValidator(reject_bool)] = Field(
        1, description="busy processes, 1 to 4 per usable CPU"
    )
    load_percent: float = Field(
        100.0,
        gt=0,
        le=100,
        allow_inf_nan=False,
        description="busy share of one CPU per process, in (0, 100]",
    )
    duration_s: float = Field(
        0.0, ge=0, allow_inf_nan=False, description="seconds; 0 = until reverted"
    )
    backend: Backend = "builtin"

    @field_validator("workers")
    @classmethod
    def _workers_in_range(cls, value: int) -> int:
        top = max_workers()
        if not 1 <= value <= top:
            raise ValueError(f"must be between 1 and {top} (4 per usable CPU) (got {value})")
        return value

    @field_validator("backend")
    @classmethod
    def _backend_installed(cls, value: str) -> str:
        return check_backend(value)


class CpuStress(WorkerKind):
    """Start the CPU workers; revert stops them (see :class:`WorkerKind`)."""

    name = "cpu-stress"
    Spec = CpuStressSpec

    def inject(self, spec: CpuStressSpec, record: FaultRecord) -> dict[str, Any]:
        """Start the workers at nice 19 and return their pids once all of them run."""
        if spec.backend == "stress-ng":
            argv = stressng.cpu_argv(spec.workers, spec.load_percent)
            return stressng.spawn(
                record, argv, duration_s=spec.duration_s, expect_stressors=spec.workers
            )
        args = [
            "--workers",
            str(spec.workers),
            "--load",
            repr(spec.load_percent),
            "--duration",
            repr(spec.duration_s),
        ]
        return spawn_worker(record, WORKER, args, nice=NICE)


KIND = CpuStress()
