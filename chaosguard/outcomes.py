"""How a run ended: one enum for the guard, the journal outputs and game days (layer 0).

=====================  ==========  =========================================================
outcome                exit code   meaning
=====================  ==========  =========================================================
met                    0           the hypothesis held before and after the method
deviated               1           the hypothesis did not hold after the method
aborted                2           a guard stopped the run (its faults were reverted first)
refused                3           policy or preflight said no; nothing was injected
steady-state-unmet     3           the hypothesis did not hold *before* the method
action-failed          4           an action raised; the run cannot be trusted
error                  4           anything else (bad journal, unknown status)
skipped                0           a game day did not run the experiment (not a run's outcome)
=====================  ==========  =========================================================

:func:`outcome_of` derives the outcome from a journal the same way wherever it is needed (the guard
at the end of a run, the publishers for journals written without the guard).
"""

from __future__ import annotations

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
    Outcome.STEADY_STATE_UNMET,
)


def outcome_of(
    journal: dict[str, Any], refused: str | None, aborted: bool
) -> tuple[Outcome, str | None]:
    """(outcome, reason) of a Chaos Toolkit journal, given what the guard knows (refusal, abort)."""
    if refused:
        return Outcome.REFUSED, refused
    if aborted:
        return Outcome.ABORTED, None
    failed = [
        r
        for r in journal.get("run") or []
        if r.get("status") == "failed" and (r.get("activity") or {}).get("type") == "action"
    ]
    if failed:
        act = failed[0].get("activity") or {}
        lines = failed[0].get("exception") or ["(no detail)"]
        detail = str(lines[-1]).strip().removeprefix("chaoslib.exceptions.ActivityFailed: ")
        return Outcome.ACTION_FAILED, f"action '{act.get('name')}' failed: {detail}"
    before = (journal.get("steady_states") or {}).get("before")
    if before is not None and before.get("steady_state_met") is False:
        return (
            Outcome.STEADY_STATE_UNMET,
            "the steady state was not met before the method; nothing was injected",
        )
    if journal.get("deviated"):
        return Outcome.DEVIATED, None
    if journal.get("status") not in ("completed", None):
        return Outcome.ERROR, f"experiment ended with status {journal.get('status')}"
    return Outcome.MET, None
