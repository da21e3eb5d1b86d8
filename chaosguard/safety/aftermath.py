"""After the experiment: leftovers reverted, rollbacks an abort skipped, the status told truthfully.

Chaos Toolkit 1.19 skips rollbacks after an interruption (unless ``--rollback-strategy always``), exits 0
when an action failed, and exits 0 when the steady state was not met before the method. Here:
- a guard abort plays the declared rollbacks if Chaos Toolkit did not, then re-checks the steady state;
- the journal status becomes ``aborted`` (guard breach) or ``failed`` (refused, failed action, steady state
  unmet before the method), so ``chaos run`` exits non-zero;
- the ``chaosguard`` section of the journal holds the evidence (see :mod:`chaosguard.safety.evidence`).
"""

from __future__ import annotations

import logging
from typing import Any

from chaosguard.safety.evidence import build_evidence

__all__ = ["finish", "outcome_of"]

logger = logging.getLogger("chaostoolkit")


def outcome_of(journal: dict[str, Any], refused: str | None, aborted: bool) -> tuple[str, str | None]:
    """(outcome, reason): refused | aborted | action-failed | steady-state-unmet | deviated | met."""
    if refused:
        return "refused", refused
    if aborted:
        return "aborted", None
    failed = [r for r in journal.get("run") or [] if r.get("status") == "failed"
              and (r.get("activity") or {}).get("type") == "action"]
    if failed:
        act = failed[0].get("activity") or {}
        lines = failed[0].get("exception") or ["(no detail)"]
        detail = str(lines[-1]).strip().removeprefix("chaoslib.exceptions.ActivityFailed: ")
        return "action-failed", f"action '{act.get('name')}' failed: {detail}"
    before = (journal.get("steady_states") or {}).get("before")
    if before is not None and before.get("steady_state_met") is False:
        return "steady-state-unmet", "the steady state was not met before the method; nothing was injected"
    if journal.get("deviated"):
        return "deviated", None
    if journal.get("status") not in ("completed", None):
        return "error", f"experiment ended with status {journal.get('status')}"
    return "met", None


def _play_skipped_rollbacks(experiment: dict[str, Any], journal: dict[str, Any],
                            configuration: dict[str, Any], secrets: dict[str, Any]) -> bool:
    if journal.get("rollbacks") or not experiment.get("rollbacks"):
        return False
    from chaoslib.run import EventHandlerRegistry, apply_rollbacks

    logger.warning("chaosguard: playing the declared rollbacks that the abort skipped")
    runs: list[Any] = []
    try:
        apply_rollbacks(experiment, configuration, secrets, None, None, EventHandlerRegistry(), runs)
    finally:
        journal["rollbacks"] = runs
    return True


def _recheck_steady_state(experiment: dict[str, Any], configuration: dict[str, Any],
                          secrets: dict[str, Any]) -> dict[str, Any] | None:
    if not (experiment.get("steady-state-hypothesis") or {}).get("probes"):
        return None
    from chaoslib.hypothesis import run_steady_state_hypothesis
    from chaoslib.run import EventHandlerRegistry

    logger.info("chaosguard: re-checking the steady state after the abort")
    try:
        return run_steady_state_hypothesis(experiment, configuration, secrets, None, EventHandlerRegistry())
    except Exception as exc:  # noqa: BLE001 - evidence, not control flow
        return {"steady_state_met": False, "error": str(exc)}


def finish(session: Any, experiment: dict[str, Any], journal: dict[str, Any],
           configuration: dict[str, Any], secrets: dict[str, Any]) -> None:
    """Run the after-experiment duties of the guard on ``journal`` (mutated in place)."""
    leftovers = session.stop()
    played = recheck = None
    if session.breach is not None:
        played = _play_skipped_rollbacks(experiment, journal, configuration, secrets)
        recheck = _recheck_steady_state(experiment, configuration, secrets)
        leftovers += session.stop()  # a rollback that injected something is reverted too
    outcome, reason = outcome_of(journal, session.refused, session.breach is not None)
    if outcome == "aborted":
        journal["status"] = "aborted"
    elif outcome in ("refused", "action-failed", "steady-state-unmet"):
        journal["status"] = "failed"
    journal["chaosguard"] = build_evidence(session, outcome=outcome, reason=reason, leftovers=leftovers,
                                           rollbacks_played_by_guard=bool(played),
                                           steady_state_after_abort=recheck)
    if reason:
        logger.error("chaosguard: run %s: %s", outcome, reason)
