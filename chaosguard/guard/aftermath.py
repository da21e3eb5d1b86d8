"""After the experiment: leftovers reverted, rollbacks an abort skipped, the status told truthfully.

Chaos Toolkit 1.19 skips rollbacks after an interruption (unless ``--rollback-strategy always``),
exits 0 when an action failed, and exits 0 when the steady state was not met before the method.
Here:
- a guard abort plays the declared rollbacks if Chaos Toolkit did not, then re-checks the steady
  state;
- the journal status becomes ``aborted`` (guard breach) or ``failed`` (refused, failed action,
  failed rollback, steady state unmet before the method), so ``chaos run`` exits non-zero;
- whether anything was injected is read from the ledger (this run's records), not the phase;
- the ``chaosguard`` section of the journal holds the evidence and the canary analysis of the run
  (see :mod:`chaosguard.guard.evidence`).
"""

from __future__ import annotations

import logging
from typing import Any

from chaosguard.guard.evidence import build_evidence, injected_kinds, run_records
from chaosguard.guard.session import GuardSession
from chaosguard.outcomes import Outcome, outcome_of

__all__ = ["finish"]

logger = logging.getLogger("chaostoolkit")


def _play_skipped_rollbacks(
    experiment: dict[str, Any],
    journal: dict[str, Any],
    configuration: dict[str, Any],
    secrets: dict[str, Any],
) -> bool:
    if journal.get("rollbacks") or not experiment.get("rollbacks"):
        return False
    from chaoslib.run import EventHandlerRegistry, apply_rollbacks

    logger.warning("chaosguard: playing the declared rollbacks that the abort skipped")
    runs: list[Any] = []
    try:
        apply_rollbacks(
            experiment, configuration, secrets, None, None, EventHandlerRegistry(), runs
        )
    finally:
        journal["rollbacks"] = runs
    return True


def _recheck_steady_state(
    experiment: dict[str, Any], configuration: dict[str, Any], secrets: dict[str, Any]
) -> dict[str, Any] | None:
    if not (experiment.get("steady-state-hypothesis") or {}).get("probes"):
        return None
    from chaoslib.hypothesis import run_steady_state_hypothesis
    from chaoslib.run import EventHandlerRegistry

    logger.info("chaosguard: re-checking the steady state after the abort")
    try:
        result: dict[str, Any] | None = run_steady_state_hypothesis(
            experiment, configuration, secrets, None, EventHandlerRegistry()
        )
        return result
    except Exception as exc:
        return {"steady_state_met": False, "error": str(exc)}


def finish(
    session: GuardSession,
    experiment: dict[str, Any],
    journal: dict[str, Any],
    configuration: dict[str, Any],
    secrets: dict[str, Any],
) -> None:
    """Run the after-experiment duties of the guard on ``journal`` (mutated in place)."""
    leftovers = session.stop()
    played = recheck = None
    if session.breach is not None:
        played = _play_skipped_rollbacks(experiment, journal, configuration, secrets)
        recheck = _recheck_steady_state(experiment, configuration, secrets)
        leftovers += session.stop()  # a rollback that injected something is reverted too
    records = run_records(session)
    outcome, reason = outcome_of(
        journal, session.refused, session.breach is not None, injected_kinds(records)
    )
    if outcome is Outcome.ABORTED:
        journal["status"] = "aborted"
        if session.breach is not None:
            reason = f"guard '{session.breach.guard}' breached: {session.breach.reason}"
    elif outcome in (
        Outcome.REFUSED,
        Outcome.ACTION_FAILED,
        Outcome.ROLLBACK_FAILED,
        Outcome.STEADY_STATE_UNMET,
    ):
        journal["status"] = "failed"
    journal["chaosguard"] = build_evidence(
        session,
        outcome=outcome,
        reason=reason,
        leftovers=leftovers,
        rollbacks_played_by_guard=bool(played),
        steady_state_after_abort=recheck,
        records=records,
        journal=journal,
    )
    if reason:
        logger.error("chaosguard: run %s: %s", outcome, reason)
