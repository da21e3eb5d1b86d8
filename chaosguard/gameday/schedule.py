"""Scheduled game days: the cron expression, and a crontab line that runs a suite.

The cron expression is checked with croniter and must also be one that cron(8) and Kubernetes
accept: five fields (minute hour day-of-month month day-of-week) or one of ``@yearly @annually
@monthly @weekly @daily @midnight @hourly``; it must fire at least once (``0 9 31 2 *`` never does).
The Kubernetes CronJob with its ServiceAccount and RBAC is rendered by
:mod:`chaosguard.gameday.cronjob`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from datetime import datetime

from chaosguard.errors import InvalidArgument

__all__ = [
    "MACROS",
    "check_env",
    "check_zone",
    "crontab_entry",
    "next_runs",
    "slug",
    "validate_cron",
]

MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def validate_cron(expression: str, field: str = "--cron") -> str:
    """The expression normalized (single spaces); else :class:`InvalidArgument` naming ``field``."""
    from croniter import CroniterBadDateError, croniter

    text = expression.strip() if isinstance(expression, str) else ""
    if not text or any(c in expression for c in "\r\n\0"):
        raise InvalidArgument(
            field, f"expected a cron expression like '0 9 * * 1' (got {expression!r})"
        )
    if text.startswith("@"):
        if text.lower() not in MACROS:
            raise InvalidArgument(
                field, f"unknown macro {text!r} (expected one of {', '.join(MACROS)})"
            )
        return text.lower()
    fields = text.split()
    if len(fields) != 5:
        raise InvalidArgument(
            field,
            f"expected 5 fields (minute hour day-of-month month day-of-week), got "
            f"{len(fields)} in {text!r}",
        )
    normalized = " ".join(fields)
    try:
        croniter(normalized).get_next(datetime)
    except CroniterBadDateError:
        raise InvalidArgument(field, f"{normalized!r} never fires") from None
    except (ValueError, KeyError, TypeError) as exc:  # CroniterBadCronError is a ValueError
        raise InvalidArgument(
            field, f"{normalized!r} is not a valid cron expression: {' '.join(str(exc).split())}"
        ) from None
    return normalized


def next_runs(expression: str, start: datetime, count: int = 3) -> list[datetime]:
    """The next ``count`` times ``expression`` fires after ``start`` (in ``start``'s time zone)."""
    from croniter import croniter

    it = croniter(validate_cron(expression), start)
    return [it.get_next(datetime) for _ in range(count)]


def check_zone(timezone: str | None) -> None:
    if timezone is None:
        return
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(timezone)
    except (ValueError, KeyError, OSError):
        raise InvalidArgument("--timezone", f"unknown time zone {timezone!r}") from None


def check_env(env: Mapping[str, str]) -> None:
    for name, value in env.items():
        if not _ENV_NAME.match(name):
            raise InvalidArgument("--env", f"{name!r} is not an environment variable name")
        if any(c in value for c in "\r\n\0"):
            raise InvalidArgument("--env", f"the value of {name} must be a single line")


def crontab_entry(
    cron: str,
    suite_path: str,
    workdir: str,
    chaos: str,
    log_file: str,
    env: Mapping[str, str] | None = None,
    timezone: str | None = None,
    name: str = "",
    now: datetime | None = None,
) -> str:
    """Lines to add with ``crontab -e``: comments (next runs), optional ``CRON_TZ``, and the job.

    The job runs under ``flock -n`` (a game day still running makes the next one skip, like the
    CronJob's ``concurrencyPolicy: Forbid``); ``%`` is escaped as cron requires.
    """
    expression = validate_cron(cron)
    check_zone(timezone)
    check_env(env or {})
    start = now or datetime.now().astimezone()
    if timezone is not None:
        from zoneinfo import ZoneInfo

        start = start.astimezone(ZoneInfo(timezone))
    runs = ", ".join(t.strftime("%Y-%m-%d %H:%M %Z").strip() for t in next_runs(expression, start))
    lock = f"/tmp/chaosguard-gameday-{slug(name or suite_path)}.lock"
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
    log_dir = log_file.rsplit("/", 1)[0] or "/"
    command = (
        f"mkdir -p {shlex.quote(log_dir)} && cd {shlex.quote(workdir)} && "
        f"{exports + ' ' if exports else ''}flock -n {shlex.quote(lock)} "
        f"{shlex.quote(chaos)} --no-version-check --no-log-file gameday run "
        f"{shlex.quote(suite_path)} >> {shlex.quote(log_file)} 2>&1"
    )
    lines = [f"# chaosguard game day {name or suite_path}: next runs {runs}"]
    if timezone is not None:
        lines.append(
            f"CRON_TZ={timezone}  # honoured by cronie and systemd-cron, not by Debian's cron"
        )
    lines.append(f"{expression} {command.replace('%', chr(92) + '%')}")
    return "\n".join(lines) + "\n"


def slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return slug or "suite"
