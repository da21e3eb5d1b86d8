"""What a revert of ``process-signal`` trusts in a record: the spec re-validated, every target by
pid *and* start time (a target without its start time is never signalled)."""

from __future__ import annotations

from chaosguard.faults.contract import revalidate
from chaosguard.faults.process.spec import ProcessSignalSpec
from chaosguard.ledger.store import FaultRecord

__all__ = ["check", "spec_of"]


def spec_of(record: FaultRecord) -> ProcessSignalSpec:
    """The record's spec, re-validated (:class:`ValueError` naming the field)."""
    return revalidate(ProcessSignalSpec, record.spec, "spec")


def check(record: FaultRecord) -> str:
    """Re-validate a ``process-signal`` record; the exact processes its revert resumes."""
    spec = spec_of(record)
    if not spec.pauses:
        return "nothing to undo (a permanent signal)"
    return "SIGCONT to " + ", ".join(
        f"pid {t.pid} (started {t.create_time}{', ' + t.name if t.name else ''})"
        for t in spec.targets
    )
