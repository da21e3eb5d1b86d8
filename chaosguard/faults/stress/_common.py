"""What the stress kinds share: backends, limits, the worker-process revert."""

from __future__ import annotations

import shutil
from typing import Any, Literal

from chaosguard.faults.stress._oslib import usable_cpus
from chaosguard.faults.workers import terminate_record
from chaosguard.ledger.store import FaultRecord

__all__ = [
    "NICE",
    "Backend",
    "WorkerKind",
    "check_backend",
    "max_workers",
    "reject_bool",
    "stressng_path",
]

#: ``builtin``: chaosguard's own workers; ``stress-ng``: the stress-ng tool (must be on PATH).
Backend = Literal["builtin", "stress-ng"]

#: Stress runs at the lowest priority: it takes idle CPU, never CPU the system needs.
NICE = 19


def reject_bool(value: Any) -> Any:
    """Before-validator: ``True``/``False`` are not counts (pydantic would read them as 1/0)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not a boolean")
    return value


def max_workers() -> int:
    """The most CPU workers one fault may start: four per usable CPU."""
    return 4 * usable_cpus()


def stressng_path() -> str | None:
    """Path of the ``stress-ng`` executable, or ``None`` when it is not installed."""
    return shutil.which("stress-ng")


def check_backend(value: str) -> str:
    """Validator: ``stress-ng`` must be installed when it is asked for."""
    if value == "stress-ng" and stressng_path() is None:
        raise ValueError(
            "stress-ng is not installed (not found on PATH); install it or use 'builtin'"
        )
    return value


class WorkerKind:
    """Base of the stress kinds: the fault is a tree of worker processes; revert stops all of them."""

    name: str = ""
    revertible: bool = True

    def revert(self, record: FaultRecord) -> str:
        """Stop every process of ``record`` (SIGTERM, then SIGKILL); ``vanished`` when none runs."""
        return terminate_record(record)

    def __repr__(self) -> str:
        return f"<fault kind {self.name}>"
