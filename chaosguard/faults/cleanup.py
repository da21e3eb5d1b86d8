"""Revert the leftovers of dead runs, and of this run when its process exits.

A run is dead when its ledger lock can be taken *and* its runner (pid + start time) is gone. Each of
its open records is reverted through the fault contract and closed; a run with nothing open left is
marked ended and moved to ``ledger/archive``. A revert that fails leaves its record open and is
reported, so the next cleanup tries again.

:func:`sweep` is the one entry point of ``chaos cleanup``: the dead runs' records first, then the
labelled Chaos Mesh objects of dead or unknown runs (:mod:`chaosguard.faults.chaosmesh.sweep`, for a
ledger that was lost). Every run also reverts dead runs' records when it starts
(:func:`chaosguard.faults.run_ledger`), but does not sweep clusters.
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path

from chaosguard.faults import contract
from chaosguard.faults.chaosmesh.sweep import sweep_leftovers
from chaosguard.faults.items import CleanupItem
from chaosguard.ledger.store import RunLedger, RunState, forget_current_runs, iter_runs, ledger_dir

__all__ = ["CleanupItem", "cleanup_dead_runs", "revert_run", "sweep"]

logger = logging.getLogger("chaosguard")


def revert_run(run: RunLedger, state: RunState, dry_run: bool = False) -> list[CleanupItem]:
    """Revert every open record of ``state`` through ``run`` (whose lock we hold)."""
    items: list[CleanupItem] = []
    for record in state.open_records:
        if dry_run:
            items.append(
                CleanupItem(state.run_id, record.id, record.kind, "would-revert", state.pid)
            )
            continue
        try:
            closed = contract.revert(record, run)
            items.append(
                CleanupItem(state.run_id, record.id, record.kind, closed.outcome or "", state.pid)
            )
        except Exception as exc:
            items.append(
                CleanupItem(state.run_id, record.id, record.kind, f"failed: {exc}", state.pid)
            )
    return items


def _archive(run: RunLedger, state: RunState) -> None:
    if state.ended_at is None:
        run.end()
    run.release()
    archive = ledger_dir(state.path.parent.parent) / "archive"
    archive.mkdir(exist_ok=True)
    state.path.rename(archive / state.path.name)


def cleanup_dead_runs(root: Path | None = None, dry_run: bool = False) -> list[CleanupItem]:
    """Revert (or, with ``dry_run``, list) every open record of every dead run under ``root``."""
    items: list[CleanupItem] = []
    for state in iter_runs(root):
        if state.runner_alive():
            continue
        run = RunLedger.adopt(state.path)
        if run is None:  # owner alive (other host/namespace) or another cleaner at work
            continue
        try:
            fresh = run.state()
            found = revert_run(run, fresh, dry_run)
            items.extend(found)
            if not dry_run and not run.state().open_records:
                _archive(run, fresh)
        finally:
            run.release()
    return items


def sweep(root: Path | None = None, dry_run: bool = False) -> list[CleanupItem]:
    """Everything ``chaos cleanup`` does, in order: revert (or, with ``dry_run``, list) the open
    records of dead runs, then delete the labelled Chaos Mesh objects of dead or unknown runs.

    Failures do not raise: they are items whose outcome starts with ``failed``. With no Chaos Mesh
    record in the ledger the second step contacts no cluster (and imports no Kubernetes client).
    """
    items = cleanup_dead_runs(root, dry_run)
    items += sweep_leftovers(root, dry_run=dry_run)
    return items


@atexit.register
def _revert_at_exit() -> None:
    """On a normal exit, revert what this process left open and archive its runs."""
    for run in forget_current_runs():
        try:
            state = run.state()
            for item in revert_run(run, state):
                logger.warning(
                    "chaosguard: reverted leftover %s %s at exit: %s",
                    item.kind,
                    item.record_id,
                    item.outcome,
                )
            if not run.state().open_records:
                _archive(run, state)
        except Exception as exc:
            logger.error("chaosguard: exit cleanup of %s failed: %s", run.run_id, exc)
        finally:
            run.release()
