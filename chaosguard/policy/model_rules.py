"""What the policy's models do beyond holding their fields: their cross-field checks and methods.

Plain classes without pydantic: the pydantic models of :mod:`chaosguard.policy.model` inherit them,
and so do the run-time objects of the compiled policy (:mod:`chaosguard.compiled`), which then
check and behave exactly alike.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from chaosguard.policy._checks import DAY_NAMES, minutes, zone

__all__ = [
    "EXTENSION_NAME",
    "AllOfPatternsRules",
    "AllOfWindowsRules",
    "FreezeRules",
    "KillSwitchRules",
    "PolicyRules",
    "TimeWindowRules",
    "pattern_tag",
    "window_tag",
]

#: The ``name`` of an experiment's chaosguard extension block (and of the control's module).
EXTENSION_NAME = "chaosguard"


class TimeWindowRules:
    """A time window's check (its end after its start) and its description."""

    if TYPE_CHECKING:
        days: tuple[str, ...]
        start: str
        end: str
        timezone: str

    def _end_after_start(self) -> Any:
        if minutes(self.end) <= minutes(self.start):
            raise ValueError(
                f"end {self.end} is not after start {self.start} (split a window that "
                "crosses midnight in two: 22:00-24:00 and 00:00-06:00)"
            )
        return self

    def describe(self) -> str:
        """``mon-fri 09:00-17:00 Europe/Paris``."""
        return f"{_describe_days(self.days)} {self.start}-{self.end} {self.timezone}"


class AllOfWindowsRules:
    """Windows that are open together."""

    if TYPE_CHECKING:
        all_of: tuple[TimeWindowRules, ...]

    def describe(self) -> str:
        """``(a and b)``."""
        return "(" + " and ".join(w.describe() for w in self.all_of) + ")"


def window_tag(value: Any) -> str:
    """Which kind of window entry ``value`` is: ``all_of`` or ``window``."""
    is_all_of = isinstance(value, AllOfWindowsRules) or (
        isinstance(value, dict) and "all_of" in value
    )
    return "all_of" if is_all_of else "window"


class AllOfPatternsRules:
    """Regexes that must all match."""

    if TYPE_CHECKING:
        all_of: tuple[str, ...]


def pattern_tag(value: Any) -> str:
    """Which kind of pattern entry ``value`` is: ``all_of`` or ``pattern``."""
    return "all_of" if isinstance(value, AllOfPatternsRules | dict) else "pattern"


class FreezeRules:
    """A freeze as an interval, and its check (its end after its start)."""

    if TYPE_CHECKING:
        start: date | datetime
        end: date | datetime
        timezone: str

    def interval(self) -> tuple[datetime, datetime]:
        """The freeze as ``[start, end)`` aware datetimes."""
        return _instant(self.start, self.timezone, False), _instant(self.end, self.timezone, True)

    def _end_after_start(self) -> Any:
        try:
            begin, finish = self.interval()
        except (OverflowError, ValueError):
            raise ValueError("freeze dates out of range") from None
        if finish <= begin:
            raise ValueError(
                f"end {self.end.isoformat()} is not after start {self.start.isoformat()}"
            )
        return self


def _instant(value: date | datetime, tz: str, is_end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone(tz))
    day = value + timedelta(days=1) if is_end else value
    return datetime.combine(day, time(0), tzinfo=zone(tz))


class KillSwitchRules:
    """The kill switch's sources, cheapest first."""

    if TYPE_CHECKING:
        file: tuple[str, ...]
        env: tuple[str, ...]
        url: tuple[str, ...]
        configmap: tuple[Any, ...]

    def sources(self) -> list[tuple[str, Any]]:
        """Every configured source as ``(kind, spec)``, cheapest first."""
        return [
            *(("env", e) for e in self.env),
            *(("file", f) for f in self.file),
            *(("configmap", c) for c in self.configmap),
            *(("url", u) for u in self.url),
        ]


class PolicyRules:
    """The policy's digest."""

    def digest(self) -> str:
        """``sha256:<hex>`` of the canonical JSON of this policy (for evidence in the journal)."""
        dumped = cast(Any, self).model_dump(mode="json")  # the model's, pydantic's or compiled
        text = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _describe_days(days: tuple[str, ...]) -> str:
    idx = [DAY_NAMES.index(d) for d in days]
    if len(idx) == 7:
        return "every day"
    runs: list[list[int]] = []
    for i in idx:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ",".join(
        DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs
    )
