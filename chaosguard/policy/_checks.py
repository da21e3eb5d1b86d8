"""The checks behind the policy's validated scalar types (:mod:`chaosguard.policy._types`): names,
regexes, times of day, time zones, dates. Plain functions without pydantic, so that the compiled
policy (:mod:`chaosguard.compiled`) calls the very same checks on the run path.

Every check raises ``ValueError`` (never anything else: pydantic only converts ValueError and
AssertionError) with a message that names the bad value, cut by
:func:`~chaosguard.validation.short_repr` (a value can be a whole document: its full ``repr`` once
made a 1,083-character message), so pydantic turns it into one clean error that
:func:`chaosguard.validation.invalid_argument` reports as one short line.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chaosguard.kube.names import valid_namespace
from chaosguard.validation import short_repr

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = ["DAY_NAMES", "as_tuple", "minutes", "zone"]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_URL = re.compile(r"^https?://[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_PROCESS = "process:"


def as_tuple(value: Any) -> Any:
    """Accept a single value where a list is expected (``file: /x`` as well as ``file: [/x]``)."""
    if isinstance(value, (str, dict)):
        return (value,)
    return value


def _namespace(value: str) -> str:
    return valid_namespace(value)


def _selector(value: str) -> str:
    from chaosguard.policy.selectors import parse_selector  # only for a policy with selectors

    return parse_selector(value).text


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        raise ValueError(f"not a regular expression: {short_repr(value)} ({exc})") from None
    return value


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(f"{short_repr(value)} is not an environment variable name")
    return value


def _url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError(f"{short_repr(value)} is not an http:// or https:// URL")
    return value


def _module_prefix(value: str) -> str:
    if not _DOTTED.match(value.strip()):
        raise ValueError(f"{short_repr(value)} is not a dotted module name like 'corp.slo'")
    return value.strip()


def _action_name(value: str) -> str:
    """``"mod.func"`` or ``"mod:func"`` → ``"mod.func"``; ``"process:/abs/path"`` as is."""
    text = value.strip()
    if text.startswith(_PROCESS):
        path = text.removeprefix(_PROCESS)
        if not path.startswith("/") or "\x00" in path:
            raise ValueError(
                f"{short_repr(value)}: a process entry is 'process:' and an absolute path"
            )
        return text
    dotted = text.replace(":", ".", 1) if text.count(":") == 1 else text
    if not _DOTTED.match(dotted) or "." not in dotted:
        raise ValueError(
            f"{short_repr(value)} is not 'module.func', 'module:func' or 'process:/abs/path'"
        )
    return dotted


def _file_path(value: str) -> str:
    if not value.strip() or "\x00" in value:
        raise ValueError(f"{short_repr(value)} is not a file path")
    return value


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name; ``ValueError`` naming it when unknown."""
    from zoneinfo import ZoneInfo  # only for a policy with windows or freezes

    try:
        return ZoneInfo(name)
    except Exception:
        raise ValueError(f"unknown time zone {short_repr(name)}") from None


def _time_zone(value: str) -> str:
    zone(value)
    return value


def _time_of_day(value: Any) -> Any:
    """``"09:00"`` → ``"09:00"``; also a whole number of minutes after midnight (YAML 1.1 reads an
    unquoted ``17:00`` as the sexagesimal number 1020, which is exactly that)."""
    if isinstance(value, bool):
        raise ValueError(f'expected a time of day like "09:30" (got {short_repr(value)})')
    if isinstance(value, int):
        if not 0 <= value <= 1440:
            raise ValueError(f'expected a time of day like "09:30" (got {short_repr(value)})')
        return f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str):
        raise ValueError(f'expected a time of day like "09:30" (got {short_repr(value)})')
    m = _HHMM.match(value.strip())
    if not m or int(m.group(2)) > 59 or int(m.group(1)) * 60 + int(m.group(2)) > 1440:
        raise ValueError(
            f'expected a time of day from "00:00" to "24:00" (got {short_repr(value)})'
        )
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def minutes(hhmm: str) -> int:
    """``"09:30"`` → 570."""
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def _days(value: Any) -> Any:
    """Day names (``mon`` … ``sun``, any case) and ranges (``mon-fri``) → sorted unique names."""
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"expected a list of days like [mon-fri, sat] (got {short_repr(value)})")
    found: set[int] = set()
    for item in items:
        if not isinstance(item, str):
            raise ValueError(
                f"expected a day name like 'mon' or a range like 'mon-fri' (got {short_repr(item)})"
            )
        first, _, last = item.strip().lower().partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(
                f"unknown day {short_repr(item)} (use mon, tue, wed, thu, fri, sat, sun or "
                "a range like mon-fri)"
            )
        i, j = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        found.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(j + 1)])
    if not found:
        raise ValueError("empty list of days (omit 'days' to mean every day)")
    return tuple(DAY_NAMES[i] for i in sorted(found))


def _date_or_datetime(value: Any) -> Any:
    """``2026-12-24`` (a whole day) or ``2026-12-24T18:00[+01:00]`` (an instant)."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(
        "expected a date (2026-12-24) or a date and time (2026-12-24T18:00) "
        f"(got {short_repr(value)})"
    )


def iso_text(value: date | datetime) -> str:
    """A date or an instant as ISO 8601 text (how a policy's freeze dates are dumped as JSON)."""
    return value.isoformat()
