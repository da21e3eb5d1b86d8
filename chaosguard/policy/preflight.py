"""Policy rules judged before an experiment starts, without any live system but the kill switch.

:func:`preflight_checks` returns every check with its verdict (for tables and evidence);
:func:`preflight_policy` returns only the reasons to refuse (empty list = may start).
The SLO parts of the preflight (a guard already breached, the error budget below the floor) need
readings; :func:`error_budget_check` judges a remaining-budget figure the guard has read (and fails
closed when the policy has a floor but no figure was read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chaosguard.policy.killswitch import KillSwitchState, kill_switch_state
from chaosguard.policy.windows import frozen, window_open

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy


__all__ = ["Check", "budget_refusal", "error_budget_check", "preflight_checks", "preflight_policy"]


@dataclass(frozen=True)
class Check:
    """One preflight rule: its name, whether it lets the run start, and a one-line detail."""

    name: str
    ok: bool
    detail: str


def preflight_checks(
    policy: Policy,
    guards: Sequence[Any],
    now: datetime | float,
    kill_switch: KillSwitchState | None = None,
) -> list[Check]:
    """Kill switch, time window, freeze, unguarded rule — in that order.

    :param guards: the experiment's guards (only their number matters here).
    :param now: an aware datetime or epoch seconds (inject it in tests; ``time.time()`` at run
        time).
    :param kill_switch: an already-read state (to avoid reading twice); read now when None.
    """
    state = kill_switch if kill_switch is not None else kill_switch_state(policy)
    switch = Check(
        "kill switch",
        not state.on,
        f"ON ({state.source}): {state.reason}" if state.on else state.reason,
    )
    is_open, why_window = window_open(policy, now)
    is_frozen, why_frozen = frozen(policy, now)
    if guards:
        unguarded = Check(
            "guards",
            True,
            f"{len(guards)} guard(s): " + ", ".join(getattr(g, "name", "?") for g in guards),
        )
    elif policy.allow_unguarded:
        unguarded = Check("guards", True, "no guards; allowed by policy allow_unguarded=true")
    else:
        unguarded = Check(
            "guards",
            False,
            "the experiment declares no guards and policy "
            "allow_unguarded is false (add guards to its chaosguard extension)",
        )
    return [
        switch,
        Check("time window", is_open, why_window),
        Check("freeze", not is_frozen, why_frozen),
        unguarded,
    ]


def preflight_policy(policy: Policy, guards: Sequence[Any], now: datetime | float) -> list[str]:
    """Reasons to refuse the experiment at ``now`` (empty: the policy lets it start)."""
    return [f"{c.name}: {c.detail}" for c in preflight_checks(policy, guards, now) if not c.ok]


def budget_refusal(policy: Policy, remaining: float, guard_name: str = "") -> str | None:
    """A reason to refuse when ``remaining`` (fraction 0..1 of the error budget left) is below the
    floor."""
    floor = policy.guard.error_budget_floor
    if remaining < floor:
        who = f" ({guard_name})" if guard_name else ""
        return (
            f"error budget{who}: {remaining:.1%} remaining is below policy "
            f"guard.error_budget_floor={floor:g}"
        )
    return None


def error_budget_check(
    policy: Policy, remaining: float | None = None, guard_name: str = ""
) -> str | None:
    """A reason to refuse the start because of the error budget, or None.

    :param remaining: fraction (0..1) of the error budget left, as read by a guard; ``None`` when
        no figure was read. With ``guard.error_budget_floor`` > 0 a missing figure refuses (fail
        closed).
    """
    floor = policy.guard.error_budget_floor
    if floor <= 0:
        return None
    if remaining is None:
        return (
            f"error budget: policy guard.error_budget_floor={floor:g} needs a reading of the "
            "remaining budget and none was taken (fail closed)"
        )
    return budget_refusal(policy, remaining, guard_name)
