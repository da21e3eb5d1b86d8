"""This process's run: its ledger, the fault contract bound to it, and every lookup of its records.

The first fault operation of a process (per state directory) starts its run: it reverts the
leftovers of dead runs (:func:`~chaosguard.faults.cleanup.cleanup_dead_runs`) and then creates the
run's ledger file. Every later operation reuses that ledger. Pass ``ledger`` to act on another run
(cleanup does).

Lookups live here and nowhere else: :func:`open_records` (this run's open records),
:func:`find_open` (the first of them whose spec matches) and :func:`find_live` (a record of
*another* live run on this machine, e.g. a latency proxy a harness started before ``chaos run``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaosguard.errors import Refused
from chaosguard.faults import contract
from chaosguard.faults.cleanup import cleanup_dead_runs
from chaosguard.ledger.store import FaultRecord, RunLedger, current_run, existing_run, iter_runs

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "change",
    "find_live",
    "find_open",
    "inject",
    "observe",
    "open_records",
    "revert",
    "run_ledger",
]

_start_lock = threading.Lock()


def run_ledger(root: Path | None = None) -> RunLedger:
    """This process's run ledger under ``root``; the first call reverts dead runs' leftovers."""
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
    """Validate, record, then inject one fault of ``kind_name`` (see :func:`~.contract.inject`)."""
    return contract.inject(kind_name, spec, ledger or run_ledger())


def change(
    record: FaultRecord, new_spec: BaseModel, ledger: RunLedger | None = None
) -> FaultRecord:
    """Record then apply a change of ``record``'s fault (see :func:`~.contract.change`)."""
    return contract.change(record, new_spec, ledger or run_ledger())


def revert(record: FaultRecord, ledger: RunLedger | None = None) -> FaultRecord:
    """Revert ``record`` and close it in its run's ledger (already closed: returned unchanged)."""
    return contract.revert(record, ledger or run_ledger())


def observe(record: FaultRecord) -> bool | dict[str, Any]:
    """Whether ``record``'s effect is present now (see :func:`~.contract.observe`)."""
    return contract.observe(record)


def _matches(record: FaultRecord, kind_name: str | None, spec: dict[str, Any]) -> bool:
    if kind_name is not None and record.kind != kind_name:
        return False
    return all(record.spec.get(key) == value for key, value in spec.items())


def open_records(
    kind_name: str | None = None, ledger: RunLedger | None = None
) -> list[FaultRecord]:
    """This run's open records (optionally of one kind), oldest first."""
    recs = (ledger or run_ledger()).state().open_records
    return [r for r in recs if _matches(r, kind_name, {})]


def find_open(kind_name: str, ledger: RunLedger | None = None, **spec: Any) -> FaultRecord | None:
    """This run's oldest open record of ``kind_name`` whose spec has the given values, or ``None``.

    ``find_open("latency-proxy", name="api")`` is this run's running proxy named ``api``.
    """
    recs = (ledger or run_ledger()).state().open_records
    return next((r for r in recs if _matches(r, kind_name, spec)), None)


def find_live(kind_name: str, **spec: Any) -> FaultRecord | None:
    """An open record of ``kind_name`` matching ``spec`` in *another* live run on this machine.

    Only a record that re-validates (:func:`~.contract.check_record`) in a file that folds cleanly.
    """
    own = run_ledger().run_id
    for state in iter_runs():
        if state.run_id == own or state.problem is not None or not state.runner_alive():
            continue
        for record in state.open_records:
            if _matches(record, kind_name, spec) and _trusted(record):
                return record
    return None


def _trusted(record: FaultRecord) -> bool:
    try:
        contract.check_record(record)
    except Refused:
        return False
    return True
