"""What a local stress is asked to do: CPU load or resident memory, how long, with which backend.

Both specs are checked in full before anything is recorded: a CPU stress may start at most four
workers per usable CPU; a memory stress may hold at most the memory available now minus a safety
margin (the larger of 256 MiB and 5 % of total memory), so it never pushes the machine into the OOM
killer by itself; the ``stress-ng`` backend must be installed when it is asked for.
"""

from __future__ import annotations

import shutil
from typing import Annotated, Any, Literal

import psutil
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from chaosguard.faults.stress._oslib import usable_cpus

__all__ = [
    "MIB",
    "Backend",
    "CpuStressSpec",
    "MemoryStressSpec",
    "Priority",
    "max_workers",
    "memory_limit_mib",
    "stressng_path",
]

#: ``builtin``: chaosguard's own workers; ``stress-ng``: the stress-ng tool (must be on PATH).
Backend = Literal["builtin", "stress-ng"]

#: ``background`` (default): the stress runs at nice 19 and takes only CPU time nothing else wants;
#: ``normal``: it runs at the runner's own priority (nice 0 normally) and competes for CPU like any
#: other normal-priority load.
Priority = Literal["background", "normal"]

MIB = 1 << 20
MIN_MARGIN_MIB = 256
MARGIN_FRACTION = 0.05


def _reject_bool(value: Any) -> Any:
    """Before-validator: ``True``/``False`` are not counts (pydantic would read them as 1/0)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not a boolean")
    return value


def max_workers() -> int:
    """The most CPU workers one fault may start: four per usable CPU."""
    return 4 * usable_cpus()


def memory_limit_mib() -> tuple[int, int, int]:
    """(largest allowed ``mib``, available MiB, margin MiB) as of now."""
    vm = psutil.virtual_memory()
    available = vm.available // MIB
    margin = max(MIN_MARGIN_MIB, int(vm.total * MARGIN_FRACTION) // MIB)
    return max(0, available - margin), available, margin


def stressng_path() -> str | None:
    """Path of the ``stress-ng`` executable, or ``None`` when it is not installed."""
    return shutil.which("stress-ng")


def _check_backend(value: str) -> str:
    if value == "stress-ng" and stressng_path() is None:
        raise ValueError(
            "stress-ng is not installed (not found on PATH); install it or use 'builtin'"
        )
    return value


class CpuStressSpec(BaseModel):
    """What to load: how many processes, how busy each one is, for how long, with which backend."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workers: Annotated[int, BeforeValidator(_reject_bool)] = Field(
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
    priority: Priority = Field(
        "background", description="background (nice 19, default) or normal (the runner's nice)"
    )

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
        return _check_backend(value)


class MemoryStressSpec(BaseModel):
    """How much memory to hold resident, for how long, with which backend."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mib: Annotated[int, BeforeValidator(_reject_bool)] = Field(
        description="MiB to hold resident; at most available memory minus a margin"
    )
    duration_s: float = Field(
        0.0, ge=0, allow_inf_nan=False, description="seconds; 0 = until reverted"
    )
    backend: Backend = "builtin"
    priority: Priority = Field(
        "background", description="background (held at nice 19, default) or normal"
    )

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
        return _check_backend(value)
