"""Checks of what users give the Prometheus source and probes: URL, PromQL, timeout, objective.

Each function returns the cleaned value or raises :class:`~chaosguard.errors.InvalidArgument` naming
the field with a one-line reason, before any request is made; ``field`` lets a caller name its own
argument (``error_ratio_query``, ``guards.<name>.url``, ...).
"""

from __future__ import annotations

import math

import httpx

from chaosguard.errors import InvalidArgument

__all__ = [
    "MAX_QUERY_CHARS",
    "validate_url",
    "validate_query",
    "check_timeout",
    "check_objective",
    "check_ratio",
]

MAX_QUERY_CHARS = 20_000
"""Longest PromQL text accepted (Prometheus itself takes more; a guard's query never needs it)."""


def validate_url(url: object, field: str = "url") -> str:
    """Return the Prometheus base URL without a trailing slash, or raise :class:`InvalidArgument`.

    Accepts ``http(s)://host[:port][/path-prefix]`` (a prefix such as ``/prometheus`` behind a proxy
    is kept); rejects other schemes, a missing host, query strings, fragments and whitespace.
    """
    if not isinstance(url, str):
        raise InvalidArgument(field, f"must be a string (got {type(url).__name__})")
    if not url:
        raise InvalidArgument(field, "must not be empty; e.g. http://127.0.0.1:9090")
    shown = url if len(url) <= 60 else url[:57] + "..."
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise InvalidArgument(
            field, f"must not contain whitespace or control characters (got {shown!r})"
        )
    try:
        parsed = httpx.URL(url)
        scheme, host, port = parsed.scheme, parsed.host, parsed.port
    except Exception as exc:
        raise InvalidArgument(field, f"not a valid URL ({exc}) (got {shown!r})") from None
    if scheme not in ("http", "https"):
        raise InvalidArgument(field, f"must start with http:// or https:// (got {shown!r})")
    if not host:
        raise InvalidArgument(field, f"has no host (got {shown!r})")
    if port is not None and not 0 < port < 65536:
        raise InvalidArgument(field, f"port must be 1-65535 (got {shown!r})")
    if parsed.query or parsed.fragment or "?" in url or "#" in url:
        raise InvalidArgument(
            field, f"must be the server's base URL, without ?query or #fragment (got {shown!r})"
        )
    return url.rstrip("/")


def validate_query(query: object, field: str = "query") -> str:
    """Return ``query`` stripped, or raise :class:`InvalidArgument` (empty, too long, not text)."""
    if not isinstance(query, str):
        raise InvalidArgument(field, f"must be a PromQL string (got {type(query).__name__})")
    text = query.strip()
    if not text:
        raise InvalidArgument(field, "must be a non-empty PromQL expression")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidArgument(
            field, f"is too long ({len(text)} characters, at most {MAX_QUERY_CHARS})"
        )
    if "\x00" in text:
        raise InvalidArgument(field, "must not contain NUL characters")
    return text


def check_timeout(timeout_s: object, field: str = "timeout_s") -> float:
    """Return ``timeout_s`` as a float in (0, 300] seconds, or raise :class:`InvalidArgument`."""
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float):
        raise InvalidArgument(field, f"must be a number of seconds (got {timeout_s!r})")
    if not (math.isfinite(timeout_s) and 0 < timeout_s <= 300):
        raise InvalidArgument(field, f"must be > 0 and <= 300 seconds (got {timeout_s!r})")
    return float(timeout_s)


def check_objective(objective: object, field: str = "objective") -> float:
    """Return ``objective`` as a float in (0, 1) (0.999: 99.9 %); else :class:`InvalidArgument`."""
    if isinstance(objective, bool) or not isinstance(objective, int | float):
        raise InvalidArgument(field, f"must be a number in (0, 1), e.g. 0.999 (got {objective!r})")
    if not (math.isfinite(objective) and 0 < objective < 1):
        raise InvalidArgument(
            field, f"must be in (0, 1), e.g. 0.999 for 99.9 % (got {objective!r})"
        )
    return float(objective)


def check_ratio(value: object, field: str) -> float:
    """Return ``value`` as a finite float >= 0 (an error ratio); else :class:`InvalidArgument`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgument(field, f"must be a number (got {value!r})")
    if not (math.isfinite(value) and value >= 0):
        raise InvalidArgument(field, f"must be a finite ratio >= 0 (got {value!r})")
    return float(value)
