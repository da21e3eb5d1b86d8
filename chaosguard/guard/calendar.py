"""Time windows and freezes as one more guard: watched during the run, not only at its start.

Reaching a freeze or the end of every allowed window reads as 1 (a breach: faults reverted, the
run stopped), unless the policy says ``guard.on_window_end: finish`` (then the run may finish; the
preflight still refuses to *start* outside a window or inside a freeze).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chaosguard.guard.builtin import builtin_spec
from chaosguard.slo.base import Observation
from chaosguard.slo.check import SloCheck

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy

__all__ = ["CALENDAR", "calendar_check", "calendar_watched"]

CALENDAR = "time-window"


class CalendarSource:
    """An :class:`~chaosguard.slo.base.SloSource`: 1 when outside every window or in a freeze."""

    def __init__(self, policy: Policy, clock: Callable[[], float] = time.time) -> None:
        self.policy = policy
        self.clock = clock
        #: Why the last read said stop ("" while the calendar allows the run).
        self.last_reason = ""

    def prepare(self) -> None:
        """Nothing to prepare."""

    def start(self) -> None:
        """Nothing to start: every read asks the calendar afresh."""

    def stop(self) -> None:
        """Nothing to release."""

    def read(self, timeout_s: float) -> Observation:
        from chaosguard.policy.windows import frozen, window_open

        now = self.clock()
        is_open, why_window = window_open(self.policy, now)
        is_frozen, why_frozen = frozen(self.policy, now)
        if is_frozen:
            self.last_reason = f"freeze reached: {why_frozen}"
        elif not is_open:
            self.last_reason = f"time window ended: {why_window}"
        else:
            self.last_reason = ""
        return Observation(1.0 if self.last_reason else 0.0, now, {"reason": self.last_reason})

    def describe(self) -> str:
        return "time windows and freezes of the policy"


def calendar_watched(policy: Policy) -> bool:
    """True when the policy has windows or freezes and does not let a run finish past them."""
    has_calendar = bool(policy.windows) or bool(policy.freeze)
    return has_calendar and policy.guard.on_window_end != "finish"


def calendar_check(policy: Policy, clock: Callable[[], float] = time.time) -> SloCheck:
    """A check that breaches as soon as a freeze starts or the last open window ends."""
    return SloCheck(builtin_spec(CALENDAR, "time-window"), CalendarSource(policy, clock))
