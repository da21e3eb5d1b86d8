"""The ``chaosguard`` section of the journal: what was allowed, watched, breached and reverted."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from chaosguard import __version__
from chaosguard.guard.session import GuardSession
from chaosguard.outcomes import Outcome
from chaosguard.policy.model import Policy

__all__ = ["build_evidence", "injected_kinds", "policy_digest", "run_records"]


def policy_digest(policy: Policy | None) -> str:
    """sha256 of the merged policy's canonical JSON (``none`` when no policy loaded).

    The canonical form is ``json.dumps(..., sort_keys=True)`` with the default separators; journals
    already written carry digests made this way (:meth:`Policy.digest` is a different form).
    """
    if policy is None:
        return "none"
    data = policy.model_dump(mode="json")
    return "sha256:" + hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def run_records(session: GuardSession) -> list[dict[str, Any]]:
    """Every fault record the ledger holds for this run, as plain JSON (``[]`` before any)."""
    from chaosguard.ledger.store import existing_run

    run = existing_run() if session.run_id else None
    if run is None:
        return []
    return [r.model_dump(mode="json") for r in run.state().records.values()]


def injected_kinds(records: list[dict[str, Any]]) -> list[str]:
    """The kinds of the faults the ledger says this run injected (what "nothing was injected"
    is checked against)."""
    return [str(r.get("kind")) for r in records]


def build_evidence(
    session: GuardSession,
    *,
    outcome: Outcome,
    reason: str | None,
    leftovers: list[dict[str, Any]],
    rollbacks_played_by_guard: bool,
    steady_state_after_abort: dict[str, Any] | None,
    records: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything an auditor needs to trust the run, as plain JSON (the journal's ``chaosguard``
    section). ``injected`` lists the fault kinds the ledger holds for this run."""
    records = run_records(session) if records is None else records
    watcher = session.watcher
    breach = dataclasses.asdict(session.breach) if session.breach is not None else None
    if breach is not None and breach.get("faults_reverted_at") and breach.get("source_at"):
        breach["revert_latency_s"] = round(breach["faults_reverted_at"] - breach["source_at"], 4)
    return {
        "version": __version__,
        "run_id": session.run_id,
        "outcome": outcome,
        "reason": reason,
        "policy_digest": policy_digest(session.policy),
        "policy": session.policy.model_dump(mode="json") if session.policy is not None else None,
        "guards": [g.model_dump(mode="json") for g in session.guard_specs],
        "interval_s": session.interval_s,
        "preflight": [r.as_dict() for r in session.preflight_readings],
        "readings": [r.as_dict() for r in (watcher.readings if watcher else [])],
        "breach": breach,
        "rollbacks_played_by_guard": rollbacks_played_by_guard,
        "steady_state_after_abort": steady_state_after_abort,
        "leftovers_reverted": leftovers,
        "ledger": records,
        "injected": injected_kinds(records),
        "lock": {"scope": session.lock.scope, "took_over": session.lock.previous}
        if session.lock is not None
        else None,
    }
