"""Revert the leftovers of dead runs, and of this run when its process exits.

A run is dead when its ledger lock can be taken *and* its runner (pid + start time) is gone. Each of
its open records is reverted through the fault contract and closed; a run with nothing open left is
marked ended and moved to ``ledger/archive``. A revert that fails leaves its record open and is
reported, so the next cleanup tries again.

Nothing in a run file is trusted until it re-validates. A file that does not fold cleanly (a line
like ``[1,2]``, a record of another run, a symbolic link) is moved to ``ledger/quarantine/`` with a
``.reason`` file and reported, and cleanup goes on with the other runs. A record that does not
re-validate with its kind (:func:`~chaosguard.faults.contract.check_record`: a pid without its start
time, a socket outside the state dir, a name that is not a Kubernetes name) is refused, never acted
on; once nothing else of its run is left open, the run file is quarantined too, so no later cleanup
or run is stuck on it. A dry run lists the exact targets and changes nothing.

:func:`sweep` is the one entry point of ``chaos cleanup``: the dead runs' records first, then the
labelled Chaos Mesh objects of dead or unknown runs (:mod:`chaosguard.faults.chaosmesh.sweep`, for a
ledger that was lost). ``sweep(run_id=...)`` (``chaos cleanup --run ID``) reverts that one run's
records only, refused while its runner lives. Every run also reverts dead runs' records when it
starts (:func:`chaosguard.faults.run_ledger`), but does not sweep clusters. :func:`open_faults`
(``chaos ledger list``) lists what is open, run by run, with the targets a revert would act on.
"""

from __future__ import annotations

import atexit
import logging
import socket
from dataclasses import dataclass
from pathlib import Path

from chaosguard.errors import InvalidArgument, Refused
from chaosguard.faults import contract
from chaosguard.faults.chaosmesh.sweep import sweep_leftovers
from chaosguard.faults.items import CleanupItem
from chaosguard.ledger.paths import private_dir
from chaosguard.ledger.records import valid_id
from chaosguard.ledger.store import (
    FaultRecord,
    RunLedger,
    RunState,
    forget_current_runs,
    iter_runs,
    ledger_dir,
    quarantine,
)

__all__ = ["CleanupItem", "OpenFault", "cleanup_dead_runs", "open_faults", "revert_run", "sweep"]

logger = logging.getLogger("chaosguard")


def _row(state: RunState, record: FaultRecord, outcome: str, target: str = "") -> CleanupItem:
    return CleanupItem(state.run_id, record.id, record.kind, outcome, state.pid, target)


def revert_run(run: RunLedger, state: RunState, dry_run: bool = False) -> list[CleanupItem]:
    """Revert every open record of ``state`` through ``run`` (whose lock we hold).

    Each record is re-validated first; one that does not is ``refused: <why>`` and untouched.
    """
    items: list[CleanupItem] = []
    for record in state.open_records:
        try:
            target = contract.check_record(record) if record.revertible else "nothing to undo"
        except Refused as exc:
            items.append(_row(state, record, f"refused: {exc}"))
            continue
        if dry_run:
            items.append(_row(state, record, "would-revert", target))
            continue
        try:
            closed = contract.revert(record, run)
            items.append(_row(state, record, closed.outcome or "", target))
        except Refused as exc:
            items.append(_row(state, record, f"refused: {exc}", target))
        except Exception as exc:
            items.append(_row(state, record, f"failed: {exc}", target))
    return items


def _archive(run: RunLedger, state: RunState) -> None:
    if state.ended_at is None:
        run.end()
    run.release()
    archive = private_dir(ledger_dir(state.path.parent.parent), "archive")
    state.path.rename(archive / state.path.name)


def _quarantined(state: RunState, reason: str, dry_run: bool) -> CleanupItem:
    """Quarantine (or, with ``dry_run``, say it would) the run file of ``state``; the row."""
    if dry_run:
        return CleanupItem(state.run_id, "-", "ledger", f"would-quarantine: {reason}", state.pid)
    where = quarantine(state.path, reason)
    logger.warning("chaosguard: quarantined ledger file %s: %s", where, reason)
    return CleanupItem(state.run_id, "-", "ledger", f"quarantined: {reason}", state.pid, str(where))


def _clean(run: RunLedger, state: RunState, dry_run: bool) -> list[CleanupItem]:
    if state.problem is not None:
        return [_quarantined(state, state.problem, dry_run)]
    items = revert_run(run, state, dry_run)
    left = state.open_records if dry_run else run.state().open_records
    if not left:
        if not dry_run:
            _archive(run, state)
        return items
    refused = {i.record_id: i.outcome for i in items if i.outcome.startswith("refused")}
    if all(r.id in refused for r in left):  # only untrusted records keep it open: a dead end
        if not dry_run:
            details = "; ".join(f"{rid}: {why}" for rid, why in refused.items())
            logger.warning("chaosguard: %s", details)
        tails = ", ".join(rid.rsplit(".", 1)[-1] for rid in refused)
        items.append(_quarantined(state, f"record(s) {tails} do not re-validate", dry_run))
    return items


def _one_run(root: Path | None, run_id: str) -> list[RunState]:
    """The run ``run_id`` of the ledger, checked: refused while its runner lives."""
    if not valid_id(run_id):
        raise InvalidArgument("--run", f"{run_id!r} is not a run id")
    found = [s for s in iter_runs(root) if s.run_id == run_id]
    if not found:
        ended = (ledger_dir(root) / "archive" / f"{run_id}.jsonl").is_file()
        if ended:
            return []  # archived: nothing of it is open
        raise InvalidArgument(
            "--run", f"no run {run_id} in the ledger of {ledger_dir(root)} (see chaos ledger list)"
        )
    state = found[0]
    if state.problem is None and state.runner_alive():
        raise Refused(
            f"run {run_id} is alive (pid {state.pid} on {state.host}): it reverts its own "
            "faults; stop it first"
        )
    return found


def cleanup_dead_runs(
    root: Path | None = None, dry_run: bool = False, run_id: str | None = None
) -> list[CleanupItem]:
    """Revert (or, with ``dry_run``, list) every open record of every dead run under ``root``
    (only of the run ``run_id``, when given: :class:`Refused` while it lives).

    Untrusted run files are quarantined and reported as rows; the other runs are cleaned all the
    same.
    """
    items: list[CleanupItem] = []
    for state in iter_runs(root) if run_id is None else _one_run(root, run_id):
        if state.problem is None and state.runner_alive():
            continue
        run = RunLedger.adopt(state.path)
        if run is None:  # owner alive (other host/namespace) or another cleaner at work
            continue
        try:
            items.extend(_clean(run, run.state(), dry_run))
        except Exception as exc:  # one run's trouble never stops the others
            items.append(CleanupItem(state.run_id, "-", "ledger", f"failed: {exc}", state.pid))
        finally:
            run.release()
    return items


def sweep(
    root: Path | None = None, dry_run: bool = False, run_id: str | None = None
) -> list[CleanupItem]:
    """Everything ``chaos cleanup`` does, in order: revert (or, with ``dry_run``, list) the open
    records of dead runs, then delete the labelled Chaos Mesh objects of dead or unknown runs.

    With ``run_id`` only that run's records are reverted (through the ledger, Chaos Mesh records
    included); the label sweep, which is not per run, is skipped.

    Failures do not raise: they are items whose outcome starts with ``failed``. With no Chaos Mesh
    record in the ledger the second step contacts no cluster (and imports no Kubernetes client).

    :raises InvalidArgument: ``run_id`` is not in the ledger.
    :raises Refused: the runner of ``run_id`` is alive.
    """
    items = cleanup_dead_runs(root, dry_run, run_id)
    if run_id is None:
        items += sweep_leftovers(root, dry_run=dry_run)
    return items


@dataclass(frozen=True)
class OpenFault:
    """One open record of the ledger, as ``chaos ledger list`` shows it."""

    run_id: str
    record_id: str
    kind: str
    #: the exact targets a revert acts on, or ``untrusted: <why>`` when it does not re-validate
    target: str
    opened_at: float
    pid: int
    host: str
    #: ``alive``, ``dead``, or ``unknown`` (a runner on another host)
    owner: str


def _owner(state: RunState) -> str:
    if state.host and state.host != socket.gethostname():
        return "unknown"
    return "alive" if state.runner_alive() else "dead"


def open_faults(root: Path | None = None) -> list[OpenFault]:
    """Every open record of every run in the ledger under ``root``, oldest run first. A run file
    that does not fold is one row of kind ``ledger`` whose target says why (cleanup quarantines
    it); nothing is changed."""
    out: list[OpenFault] = []
    for state in iter_runs(root):
        owner = _owner(state)
        if state.problem is not None:
            untrusted = f"untrusted: {state.problem}"
            row = OpenFault(
                state.run_id, "-", "ledger", untrusted, 0.0, state.pid, state.host, owner
            )
            out.append(row)
            continue
        for record in state.open_records:
            try:
                target = contract.check_record(record) if record.revertible else "nothing to undo"
            except Refused as exc:
                target = f"untrusted: {exc}"
            out.append(
                OpenFault(
                    state.run_id,
                    record.id,
                    record.kind,
                    target,
                    record.created_at,
                    state.pid,
                    state.host,
                    owner,
                )
            )
    return out


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
