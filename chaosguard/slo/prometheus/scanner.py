"""A small PromQL scanner: the series selectors behind a value, for the staleness check.

A scanner, not a full parser: it knows strings, comments, ``[...]`` ranges and subqueries, ``{...}``
matchers, function and aggregation calls, ``by/without/on/ignoring/group_left/group_right`` label
lists and keywords, and skips anything else. :func:`series_selectors` gives the distinct selectors
of a query; :func:`selector_spans` their offsets (the query builders use it to check that an
argument is one selector). Input it cannot scan raises :class:`PromQLScanError`.
"""

from __future__ import annotations

import re

from chaosguard.errors import ChaosGuardError

__all__ = ["PromQLScanError", "longest_range_s", "selector_spans", "series_selectors"]

_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2"}
_GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
_AGGREGATORS = {
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
}
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_NUMBER = re.compile(r"[0-9.](?:[eE][+-]?[0-9]|[xX][0-9a-fA-F]|[0-9A-Za-z_.])*")


class PromQLScanError(ChaosGuardError):
    """The scanner could not find the selectors (unbalanced brackets, unterminated string)."""


def _skip_space(q: str, i: int) -> int:
    n = len(q)
    while i < n:
        if q[i].isspace():
            i += 1
        elif q[i] == "#":
            while i < n and q[i] != "\n":
                i += 1
        else:
            break
    return i


def _skip_string(q: str, i: int) -> int:
    quote, n, start = q[i], len(q), i
    i += 1
    while i < n:
        c = q[i]
        if c == "\\" and quote != "`":
            i += 2
            continue
        if c == quote:
            return i + 1
        i += 1
    raise PromQLScanError(f"unterminated string at offset {start}")


def _skip_block(q: str, i: int, open_: str, close: str) -> int:
    """``q[i] == open_``; return the index after its matching ``close`` (strings respected)."""
    depth, n = 0, len(q)
    while i < n:
        c = q[i]
        if c in "\"'`":
            i = _skip_string(q, i)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise PromQLScanError(f"unbalanced {open_!r}")


def _next_word(q: str, j: int) -> str:
    m = _IDENT.match(q, j)
    return m.group().lower() if m else ""


def selector_spans(query: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of every series selector in ``query``, in order (duplicates kept).

    Raises :class:`PromQLScanError` on unbalanced brackets or an unterminated string.
    """
    spans: list[tuple[int, int]] = []
    q, i, n = query, 0, len(query)
    while i < n:
        i = _skip_space(q, i)
        if i >= n:
            break
        c = q[i]
        if c in "\"'`":
            i = _skip_string(q, i)
        elif c == "[":
            i = _skip_block(q, i, "[", "]")  # range or subquery: durations only
        elif c == "{":  # a selector without a metric name: {__name__=~"..."} / {job="x"}
            end = _skip_block(q, i, "{", "}")
            spans.append((i, end))
            i = end
        elif c.isdigit() or (c == "." and i + 1 < n and q[i + 1].isdigit()):
            m = _NUMBER.match(q, i)
            i = m.end() if m else i + 1
        elif m := _IDENT.match(q, i):
            word, end = m.group(), m.end()
            low = word.lower()
            j = _skip_space(q, end)
            nxt = q[j] if j < n else ""
            if low in _GROUPING:
                i = _skip_block(q, j, "(", ")") if nxt == "(" else end
            elif nxt == "(" or low in _KEYWORDS:
                i = end  # a function or aggregation call (arguments scanned on), or a keyword
            elif low in _AGGREGATORS and _next_word(q, j) in ("by", "without"):
                i = end  # sum by (x) (...)
            elif nxt == "{":
                close = _skip_block(q, j, "{", "}")
                spans.append((i, close))
                i = close
            else:
                spans.append((i, end))
                i = end
        else:
            i += 1
    return spans


def _normalize(selector: str) -> str:
    name = _IDENT.match(selector)
    if name is None:
        return selector
    rest = selector[name.end() :].strip()
    return name.group() + rest


def series_selectors(query: str) -> list[str]:
    """The distinct instant-vector selectors of ``query``, in order (ranges, ``offset``, ``@`` cut).

    >>> series_selectors('sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(up[5m]))')
    ['http_requests_total{code=~"5.."}', 'up']

    Raises :class:`PromQLScanError` on unbalanced brackets or an unterminated string (Prometheus
    would reject the query too).
    """
    out: list[str] = []
    for start, end in selector_spans(query):
        sel = _normalize(query[start:end])
        if sel not in out:
            out.append(sel)
    return out


def _duration_s(text: str) -> float | None:
    """Seconds of a PromQL duration (``5m``, ``1h30m``, ``90``), None when it is not one."""
    text = text.strip()
    try:
        return float(text)  # Prometheus 3 accepts a bare number of seconds
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


def longest_range_s(query: str) -> float | None:
    """The longest range (``rate(x[5m])``) or subquery window (``max_over_time(y[10m:1m])``) of
    ``query`` in seconds; None when it has none. The window a reading averages over: readings
    taken more often than that overlap. Raises :class:`PromQLScanError` on unbalanced input.

    >>> longest_range_s('sum(rate(a[1m])) / sum(rate(b[5m]))')
    300.0
    """
    q, i, n = query, 0, len(query)
    longest: float | None = None
    while i < n:
        c = q[i]
        if c in "\"'`":
            i = _skip_string(q, i)
        elif c == "#":
            i = _skip_space(q, i)
        elif c == "[":
            end = _skip_block(q, i, "[", "]")
            seconds = _duration_s(q[i + 1 : end - 1].split(":", 1)[0])
            if seconds is not None and (longest is None or seconds > longest):
                longest = seconds
            i = end
        else:
            i += 1
    return longest
