"""What stopped a run (:class:`Breach`), and reverting this run's open faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaosguard import faults

__all__ = ["Breach", "revert_open_faults"]


@dataclass
class Breach:
    """What stopped the run, with the times that bound the abort latency."""

    guard: str
    value: float | None
    threshold: str
    reason: str
    observed_at: float
    source_at: float | None = None
    faults_reverted_at: float | None = None
    abort_issued_at: float | None = None
    reverted: list[dict[str, Any]] = field(default_factory=list)
    revert_errors: list[str] = field(default_factory=list)


def revert_open_faults() -> tuple[list[dict[str, Any]], list[str]]:
    """Revert every open record of this run; return (closed records, error messages)."""
    done: list[dict[str, Any]] = []
    errors: list[str] = []
    for record in faults.open_records():
        try:
            closed = faults.revert(record)
            done.append(
                {
                    "record": closed.id,
                    "kind": closed.kind,
                    "outcome": closed.outcome,
                    "at": closed.closed_at,
                }
            )
        except Exception as exc:
            errors.append(f"{record.kind} {record.id}: {exc}")
    return done, errors
