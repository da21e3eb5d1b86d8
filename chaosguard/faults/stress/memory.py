"""The ``memory-stress`` fault kind: hold ``mib`` MiB resident for ``duration_s`` or until reverted.

Refused up front when ``mib`` exceeds the memory available now minus a safety margin (the larger of
256 MiB and 5 % of total memory), so a stress never pushes the machine into the OOM killer by itself.
The injection returns only once the memory is resident; the handles carry the achieved RSS.
"""

from __future__ import annotations

from typing import Annotated, Any

import psutil
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from chaosguard.faults.stress import stressng
from chaosguard.faults.stress._common import Backend, WorkerKind, check_backend, reject_bool
from chaosguard.faults.workers import spawn_worker
from chaosguard.ledger.store import FaultRecord

__all__ = ["KIND", "MemoryStress", "MemoryStressSpec", "memory_limit_mib"]

WORKER = "chaosguard.faults.stress._memory_worker"
MIB = 1 << 20
MIN_MARGIN_MIB = 256
MARGIN_FRACTION = 0.05


def memory_limit_mib() -> tuple[int, int, int]:
    """(largest allowed ``mib``, available MiB, margin MiB) as of now."""
    vm = psutil.virtual_memory()
    available = vm.available // MIB
    margin = max(MIN_MARGIN_MIB, int(vm.total * MARGIN_FRACTION) // MIB)
    return max(0, available - margin), available, margin


class MemoryStressSpec(BaseModel):
    """How much memory to hold resident, for how long, with which backend."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mib: Annotated[int, BeforeValidator(reject_bool)] = Field(
        description="MiB to hold resident; at most available memory minus a margin"
    )
    duration_s: float = Field(
        0.0, ge=0, allow_inf_nan=False, description="seconds; 0 = until reverted"
    )
    backend: Backend = "builtin"

    @field_validator("mib")
    @classmethod
    def _fits(cls, value: int) -> int:
        if value <= 0:
            raise ValueError(f"must be a positive number of MiB (got {value})")
        limit, available, margin = memory_limit_mib()
        if value > limit:
            raise ValueError(
                f"{value} MiB is more than can be held safely: {limit} MiB "
                f"({available} MiB available minus a {margin} MiB safety margin)"
            )
        return value

    @field_validator("backend")
    @classmethod
    def _backend_installed(cls, value: str) -> str:
        return check_backend(value)


class MemoryStress(WorkerKind):
    """Start the memory worker; revert stops it (see :class:`WorkerKind`)."""

    name = "memory-stress"
    Spec = MemoryStressSpec

    def inject(self, spec: MemoryStressSpec, record: FaultRecord) -> dict[str, Any]:
        """Start the worker at nice 19; return once ``mib`` MiB are resident (handles: pid, rss)."""
        timeout = 10.0 + spec.mib / 256  # populating is ~1 s/GiB on a slow VM; be generous
        if spec.backend == "stress-ng":
            argv = stressng.memory_argv(spec.mib)
            return stressng.spawn(
                record,
                argv,
                duration_s=spec.duration_s,
                target_rss=spec.mib * MIB,
                ready_timeout=timeout,
            )
        args = ["--mib", str(spec.mib), "--duration", repr(spec.duration_s)]
        # nice 0 for the allocation burst; the worker lowers itself to nice 19 once resident
        return spawn_worker(record, WORKER, args, nice=0, ready_timeout=timeout)


KIND = MemoryStress()
