"""How a run ended: one enum for the guard, the journal outputs and game days (layer 0).

=====================  ==========  =========================================================
outcome                exit code   meaning
=====================  ==========  =========================================================
met                    0           the hypothesis held before and after the method
deviated               1           the hypothesis did not hold after the method
aborted                2           a guard stopped the run (its faults were reverted first)
refused                3           policy or preflight said no (the ledger says what ran before)
steady-state-unmet     3           the hypothesis did not hold *before* the method
action-failed          4           an action raised; the run cannot be trusted
rollback-failed        4           a rollback raised: the world may still be changed
error                  4           anything else (bad journal, unknown status)
skipped                0           a game day did not run the experiment (not a run's outcome)
=====================  ==========  =========================================================

:func:`outcome_of` derives the outcome from a journal the same way wherever it is needed (the guard
at the end of a run, the publishers for journals written without the guard). Whether anything was
injected is the ledger's to say (``injected``: the run's fault records), never the phase's.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from chaosguard.errors import ExitCode

__all__ = ["FAILING", "OUTCOMES", "Outcome", "outcome_of"]


class Outcome(StrEnum):
    """The outcome of one experiment run (its value is what journals and reports print)."""

    MET = "met"
    DEVIATED = "deviated"
    ABORTED = "aborted"
    REFUSED = "refused"
    ACTION_FAILED = "action-failed"
    ROLLBACK_FAILED = "rollback-failed"
    STEADY_STATE_UNMET = "steady-state-unmet"
    ERROR = "error"
    SKIPPED = "skipped"

    @property
    def exit_code(self) -> ExitCode:
        """The exit code of chaosguard's commands for this outcome."""
        return _EXIT[self]

    @property
    def failing(self) -> bool:
        """A failure in CI terms (``error`` is an error, not a failure; ``skipped`` is neither)."""
        return self in FAILING

    @classmethod
    def parse(cls, text: object) -> Outcome:
        """The outcome named ``text``; anything unknown is :attr:`ERROR`."""
        try:
            return cls(str(text))
        except ValueError:
            return cls.ERROR


_EXIT: dict[Outcome, ExitCode] = {
    Outcome.MET: ExitCode.OK,
    Outcome.DEVIATED: ExitCode.DEVIATED,
    Outcome.ABORTED: ExitCode.ABORTED,
    Outcome.REFUSED: ExitCode.REFUSED,
    Outcome.STEADY_STATE_UNMET: ExitCode.REFUSED,
    Outcome.ACTION_FAILED: ExitCode.ERROR,
    Outcome.ROLLBACK_FAILED: ExitCode.ERROR,
    Outcome.ERROR: ExitCode.ERROR,
    Outcome.SKIPPED: ExitCode.OK,
}

#: Every outcome a run can have, in the order reports list them.
OUTCOMES: tuple[Outcome, ...] = tuple(o for o in Outcome if o is not Outcome.SKIPPED)
#: Outcomes that are failures in CI terms.
FAILING: tuple[Outcome, ...] = (
    Outcome.DEVIATED,
    Outcome.ABORTED,
    Outcome.REFUSED,
    Outcome.ACTION_FAILED,
    Outcome.ROLLBACK_FAILED,
    Outcome.STEADY_STATE_UNMET,
)


def _failed(runs: Any, what: str) -> tuple[str, str] | None:
    """``(name, detail)`` of the first failed activity of ``runs`` (None when none failed)."""
    for run in runs if isinstance(runs, list) else []:
        activity = (run.get("activity") or {}) if isinstance(run, dict) else {}
        if run.get("status") == "failed" and activity.get("type") == what:
            lines = run.get("exception") or ["(no detail)"]
            detail = str(lines[-1]).strip().removeprefix("chaoslib.exceptions.ActivityFailed: ")
            return str(activity.get("name")), detail
    return None


def outcome_of(
    journal: dict[str, Any],
    refused: str | None,
    aborted: bool,
    injected: Sequence[str] = (),
) -> tuple[Outcome, str | None]:
    """(outcome, reason) of a Chaos Toolkit journal, given what the guard knows (refusal, abort,
    and ``injected``: the kinds of the fault records the ledger holds for this run)."""
    if refused:
        return Outcome.REFUSED, refused
    if aborted:
        return Outcome.ABORTED, None
    rollback = _failed(journal.get("rollbacks"), "action")
    if rollback is not None:
        return Outcome.ROLLBACK_FAILED, f"rollback '{rollback[0]}' failed: {rollback[1]}"
    failed = _failed(journal.get("run"), "action")
    if failed is not None:
        return Outcome.ACTION_FAILED, f"action '{failed[0]}' failed: {failed[1]}"
    before = (journal.get("steady_states") or {}).get("before")
    if before is not None and before.get("steady_state_met") is False:
        what = (
            f"the ledger holds {len(injected)} fault(s) of this run ({', '.join(injected)})"
            if injected
            else "nothing was injected"
        )
        return (
            Outcome.STEADY_STATE_UNMET,
            f"the steady state was not met before the method; {what}",
        )
    if journal.get("deviated"):
        return Outcome.DEVIATED, None
    if journal.get("status") not in ("completed", None):
        return Outcome.ERROR, f"experiment ended with status {journal.get('status')}"
    return Outcome.MET, None
