"""When experiments may start: allowed time windows and freezes, evaluated at an injected ``now``.

A window is judged on the wall clock of its own time zone (``now`` converted there), so
daylight-saving changes move the window with local time, as people expect: "09:00-17:00
Europe/Paris" is 08:00-16:00 UTC in winter and 07:00-15:00 UTC in summer. ``now`` is an aware
datetime or epoch seconds (``time.time()``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from chaosguard.errors import InvalidArgument
from chaosguard.policy._checks import DAY_NAMES, minutes, zone
from chaosguard.policy.model_rules import AllOfWindowsRules

if TYPE_CHECKING:
    from chaosguard.policy.model import AllOfWindows, Policy, TimeWindow

__all__ = ["entry_open", "frozen", "next_opening", "window_open"]


def _aware(now: datetime | float) -> datetime:
    """An aware datetime; epoch seconds (``time.time()``) are accepted too."""
    if isinstance(now, int | float) and not isinstance(now, bool):
        return datetime.fromtimestamp(now, UTC)
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise InvalidArgument("now", f"needs an aware datetime or epoch seconds (got {now!r})")
    return now


def _simple_open(window: TimeWindow, now: datetime) -> bool:
    local = now.astimezone(zone(window.timezone))
    if DAY_NAMES[local.weekday()] not in window.days:
        return False
    second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return minutes(window.start) * 60 <= second < minutes(window.end) * 60


def entry_open(entry: TimeWindow | AllOfWindows, now: datetime) -> bool:
    """True when ``now`` is inside ``entry`` (a window, or every window of an ``all_of``)."""
    if isinstance(entry, AllOfWindowsRules):
        return all(_simple_open(w, now) for w in entry.all_of)
    return _simple_open(entry, now)


def _starts(window: TimeWindow, now: datetime, days: int) -> list[datetime]:
    """The instants at which ``window`` opens during the ``days`` days after ``now``."""
    tz = zone(window.timezone)
    today = now.astimezone(tz).date()
    hours, mins = divmod(minutes(window.start), 60)
    out = []
    for offset in range(-1, days + 1):
        day = today + timedelta(days=offset)
        if DAY_NAMES[day.weekday()] in window.days:
            local = datetime.combine(day, time(hours, mins), tzinfo=tz)
            # Round-trip through UTC: a start inside a DST gap becomes the first existing instant.
            out.append(local.astimezone(zone("UTC")))
    return out


def next_opening(policy: Policy, now: datetime | float, horizon_days: int = 8) -> datetime | None:
    """The first instant after ``now`` when a window of ``policy`` is open (None: none in the
    horizon).

    An intersection opens when its last member opens, so the candidates are the members' start
    times.
    """
    now = _aware(now)
    candidates: set[datetime] = set()
    for entry in policy.windows:
        members = entry.all_of if isinstance(entry, AllOfWindowsRules) else (entry,)
        for window in members:
            candidates.update(s for s in _starts(window, now, horizon_days) if s > now)
    for instant in sorted(candidates):
        if any(entry_open(e, instant) for e in policy.windows):
            return instant
    return None


def window_open(policy: Policy, now: datetime | float) -> tuple[bool, str]:
    """Whether an experiment may start at ``now`` as far as the time windows go, and why.

    No windows means always open.
    """
    now = _aware(now)
    if not policy.windows:
        return True, "no time windows in the policy: always open"
    for entry in policy.windows:
        if entry_open(entry, now):
            return True, f"inside window {entry.describe()}"
    listed = "; ".join(e.describe() for e in policy.windows)
    nxt = next_opening(policy, now)
    when = (
        f"; next opening {nxt.astimezone(now.tzinfo).isoformat(timespec='minutes')}" if nxt else ""
    )
    return False, f"outside every allowed window ({listed}){when}"


def frozen(policy: Policy, now: datetime | float) -> tuple[bool, str]:
    """Whether ``now`` falls in a freeze period of ``policy``, and why."""
    now = _aware(now)
    for freeze in policy.freeze:
        begin, end = freeze.interval()
        if begin <= now < end:
            why = f" ({freeze.reason})" if freeze.reason else ""
            return True, (
                f"frozen from {begin.isoformat(timespec='minutes')} until "
                f"{end.isoformat(timespec='minutes')}{why}"
            )
    return False, "no freeze in force" if policy.freeze else "no freeze periods in the policy"
