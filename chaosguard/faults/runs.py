"""This process's run: its ledger, and the fault contract bound to it.

The first fault operation of a process (per state directory) starts its run: it reverts the leftovers of
dead runs (:func:`~chaosguard.faults.cleanup.cleanup_dead_runs`) and then creates the run's ledger file.
Every later operation reuses that ledger. Pass ``ledger`` to act on another run (cleanup does).
"""

from __future__ import annotations

import threading
from pathlib import Path

from pydantic import BaseModel

from chaosguard.faults import contract
from chaosguard.faults.cleanup import cleanup_dead_runs
from chaosguard.ledger.store import FaultRecord, RunLedger, current_run, existing_run

__all__ = ["inject", "open_records", "revert", "run_ledger"]

_start_lock = threading.Lock()


def run_ledger(root: Path | None = None) -> RunLedger:
    """This process's run ledger under ``root``; the first call reverts dead runs' leftovers first."""
    run = existing_run(root)
    if run is not None:
        return run
    with _start_lock:
        run = existing_run(root)
        if run is None:
            cleanup_dead_runs(root)
            run = current_run(root)
        return run


def inject(kind_name: str, spec: BaseModel, ledger: RunLedger | None = None) -> FaultRecord:
    """Record then inject one fault of ``kind_name`` (see :mod:`chaosguard.faults.contract`)."""
    return contract.inject(kind_name, spec, ledger or run_ledger())


def revert(record: FaultRecord, ledger: RunLedger | None = None) -> FaultRecord:
    """Revert ``record`` and close it in its run's ledger (already closed: returned unchanged)."""
    return contract.revert(record, ledger or run_ledger())


def open_records(
    kind_name: str | None = None, ledger: RunLedger | None = None
) -> list[FaultRecord]:
    """This run's open records (optionally of one kind), oldest first."""
    recs = (ledger or run_ledger()).state().open_records
    return [r for r in recs if kind_name is None or r.kind == kind_name]
