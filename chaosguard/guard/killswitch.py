"""The kill switch as one more guard: read on the watcher's loop, on (or unreadable) = breach."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chaosguard.guard.builtin import builtin_spec
from chaosguard.slo.base import Observation
from chaosguard.slo.check import SloCheck

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy

__all__ = ["KILL_SWITCH", "KillSwitchSource", "kill_switch_check", "kill_switch_configured"]

KILL_SWITCH = "kill-switch"


class KillSwitchSource:
    """An :class:`~chaosguard.slo.base.SloSource` reading the policy's kill-switch sources."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        #: What the last read found on (``"<source>: <reason>"``; "" while the switch is off).
        self.last_reason = ""

    def prepare(self) -> None:
        """Nothing to prepare."""

    def start(self) -> None:
        """Nothing to start: every read asks the sources afresh."""

    def stop(self) -> None:
        """Nothing to release."""

    def read(self, timeout_s: float) -> Observation:
        from chaosguard.policy import kill_switch_state

        state = kill_switch_state(self.policy)
        self.last_reason = f"kill switch on ({state.source}): {state.reason}" if state.on else ""
        return Observation(
            1.0 if state.on else 0.0, time.time(), {"source": state.source, "reason": state.reason}
        )

    def describe(self) -> str:
        return "kill switch (" + ", ".join(k for k, _ in self.policy.kill_switch.sources()) + ")"


def kill_switch_configured(policy: Policy) -> bool:
    """True when the policy names at least one kill-switch source."""
    return bool(policy.kill_switch.sources())


def kill_switch_check(policy: Policy) -> SloCheck:
    """A check that breaches as soon as the kill switch is on (value 1) or cannot be read."""
    return SloCheck(
        builtin_spec(KILL_SWITCH, "kill-switch"), KillSwitchSource(policy), fail_closed=True
    )
