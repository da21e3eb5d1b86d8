"""Prometheus as an SLO source: one PromQL instant query → one number, with a real staleness check.

Reading
    ``GET {url}/api/v1/query?query=...`` over one shared keep-alive ``httpx.Client`` per source (TLS
    verified, explicit ``httpx.Timeout``). The answer must be a ``scalar`` or a ``vector`` with exactly one
    sample whose value is finite. Anything else — no sample, several samples, NaN/±Inf, HTTP error,
    ``status: error``, timeout, connection refused — raises :class:`SourceUnreadable` with one line saying
    why, so the guard can fail closed.

Staleness
    The timestamp of an instant-query result is the *evaluation* time, never the age of the data: a
    ``rate(x[5m])`` keeps yielding a value for minutes after its target died, and a gauge fed by federation
    or remote write keeps its last value for the 5 min lookback. So after the value query, a second query
    is evaluated **at the same instant** (``time=`` the first answer's evaluation time, i.e. on Prometheus'
    clock) asking, for every series selector behind the value, the timestamp of its newest real sample::

        label_replace(max(timestamp(S)) or max(max_over_time(timestamp(S)[W:R])),
                      "chaosguard_input", "<i>", "__name__", ".*")
        or ...                                       # one term per selector S of the query

    ``timestamp(S)`` on a bare selector returns the *sample's* timestamp (exact while the series is live);
    the subquery fallback sees past the staleness markers Prometheus writes when a target goes down, so
    the age keeps growing instead of the input vanishing (``W`` = 1.5 × max_staleness_s + 5 s, ``R`` = 1 s
    up to 1800 steps). Per input the newest series counts (series churn, e.g. a replaced pod, is normal);
    across inputs the **oldest** counts (a value is as fresh as its stalest input). That time is
    :attr:`Observation.at`; ``read()`` raises when ``evaluated_at - at > max_staleness_s``. Selectors are found by a small PromQL scanner (:func:`series_selectors`); inputs with
    no sample at all in the window ``W`` (e.g. the ``{code=~"5.."}`` side of ``... or vector(0)`` that never
    happened) are ignored as long as one input has data. A query without any selector (``vector(1)``) is
    always fresh. When the scanner is not good enough, pass ``freshness_query``: a PromQL expression whose
    samples are epoch seconds of the inputs' newest data (the smallest one counts), e.g.
    ``max(timestamp(http_requests_total{job="api"}))`` — but not ``timestamp(up == 1)``: on anything other
    than a bare selector ``timestamp()`` returns the evaluation time.

Timeouts
    ``read(timeout_s)`` shares one deadline between both requests; every network phase (pool, connect, each
    socket read) gets the remaining budget and the body is cut at the deadline, so a refused, hung or
    trickling server ends within ``timeout_s``. Only a slow connect *followed by* a slow first byte can
    exceed it (at most ~2×): httpx cannot shrink the read timeout after connecting.

Helpers: :func:`burn_rate`, :func:`error_budget_remaining`, PromQL builders (:func:`rate_ratio_query`,
:func:`burn_rate_query`, :func:`error_budget_remaining_query`, :func:`histogram_quantile_query`) and
:func:`query_value` (one-shot read used by :mod:`chaosguard.probes.prometheus`).
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from chaosguard.errors import InvalidArgument
from chaosguard.slo.base import Observation, SourceUnreadable

if TYPE_CHECKING:
    from chaosguard.slo.spec import PrometheusGuard

__all__ = [
    "DEFAULT_OBJECTIVE",
    "DEFAULT_BUDGET_PERIOD",
    "PrometheusSource",
    "query_value",
    "burn_rate",
    "error_budget_remaining",
    "rate_ratio_query",
    "burn_rate_query",
    "error_budget_remaining_query",
    "histogram_quantile_query",
    "series_selectors",
    "freshness_query_for",
    "PromQLScanError",
    "single_value",
    "validate_url",
    "validate_query",
    "check_timeout",
    "check_objective",
]

DEFAULT_OBJECTIVE = 0.999
"""Platform default availability objective (99.9 %)."""
DEFAULT_BUDGET_PERIOD = "30d"
"""Platform default error-budget period."""

MAX_QUERY_CHARS = 20_000
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
MAX_SELECTORS = 32
_INPUT_LABEL = "chaosguard_input"
_USER_AGENT = "chaosguard-prometheus-source"


# ---------------------------------------------------------------------------------------------- validation


def validate_url(url: object, field: str = "url") -> str:
    """Return the Prometheus base URL without a trailing slash, or raise :class:`InvalidArgument`.

    Accepts ``http(s)://host[:port][/path-prefix]`` (a prefix such as ``/prometheus`` behind a proxy is
    kept); rejects other schemes, a missing host, query strings, fragments and whitespace.
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
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float):
        raise InvalidArgument(field, f"must be a number of seconds (got {timeout_s!r})")
    if not (math.isfinite(timeout_s) and 0 < timeout_s <= 300):
        raise InvalidArgument(field, f"must be > 0 and <= 300 seconds (got {timeout_s!r})")
    return float(timeout_s)


def check_objective(objective: object, field: str = "objective") -> float:
    if isinstance(objective, bool) or not isinstance(objective, int | float):
        raise InvalidArgument(field, f"must be a number in (0, 1), e.g. 0.999 (got {objective!r})")
    if not (math.isfinite(objective) and 0 < objective < 1):
        raise InvalidArgument(
            field, f"must be in (0, 1), e.g. 0.999 for 99.9 % (got {objective!r})"
        )
    return float(objective)


def _check_ratio(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgument(field, f"must be a number (got {value!r})")
    if not (math.isfinite(value) and value >= 0):
        raise InvalidArgument(field, f"must be a finite ratio >= 0 (got {value!r})")
    return float(value)


# ----------------------------------------------------------------------------------------- SLO arithmetic


def burn_rate(error_ratio: float, objective: float = DEFAULT_OBJECTIVE) -> float:
    """How fast the error budget burns: ``error_ratio / (1 - objective)``.

    1.0 spends exactly the budget over the SLO period; 14.4 over 1 h spends 2 % of a 30-day budget.
    """
    ratio = _check_ratio(error_ratio, "error_ratio")
    return ratio / (1.0 - check_objective(objective))


def error_budget_remaining(
    error_ratio_over_period: float, objective: float = DEFAULT_OBJECTIVE
) -> float:
    """Fraction of the period's error budget left: ``1 - ratio / (1 - objective)``; negative when overspent."""
    ratio = _check_ratio(error_ratio_over_period, "error_ratio_over_period")
    return 1.0 - ratio / (1.0 - check_objective(objective))


# ----------------------------------------------------------------------------------------- PromQL scanner

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
_NUMBER = re.compile(r"[0-9.](?:[eE][+-]?[0-9]|[xX][0-9a-fA-F]|[0-9A-Za-z_.])*")
_DURATION = re.compile(r"^(?:[0-9]+(?:ms|[smhdwy]))+$")


class PromQLScanError(ValueError):
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


def _selector_spans(query: str) -> list[tuple[int, int]]:
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
                i = end  # a function / aggregation call (its arguments are scanned on), or a keyword
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
    """The distinct instant-vector selectors of ``query`` (ranges, ``offset`` and ``@`` stripped), in order.

    >>> series_selectors('sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))')
    ['http_requests_total{code=~"5.."}', 'http_requests_total']

    A scanner, not a full parser: it knows strings, comments, ``[...]`` ranges/subqueries, ``{...}``
    matchers, function and aggregation calls, ``by/without/on/ignoring/group_left/group_right`` label lists
    and keywords; anything else is skipped. Raises :class:`PromQLScanError` on unbalanced brackets or an
    unterminated string (Prometheus would reject the query too).
    """
    out: list[str] = []
    for start, end in _selector_spans(query):
        sel = _normalize(query[start:end])
        if sel not in out:
            out.append(sel)
    return out


def _window_for(max_staleness_s: float) -> tuple[int, int]:
    """Subquery range and resolution (seconds) for the freshness fallback.

    The range reaches well past ``max_staleness_s`` (so a stale input still shows its age); the resolution is
    1 s — finer than any sane scrape interval, so even a short-lived series is seen — unless that would take
    more than 1800 steps per series (``max_staleness_s`` > 20 min).
    """
    window = int(math.ceil(1.5 * max_staleness_s)) + 5
    resolution = max(1, int(math.ceil(window / 1800)))
    return window, resolution


def freshness_query_for(selectors: Sequence[str], max_staleness_s: float) -> str:
    """PromQL giving, per selector ``i`` (label ``chaosguard_input="i"``), its newest sample's timestamp.

    Exact while the series is live (``timestamp(S)`` of a bare selector is the sample time); past the
    staleness markers of a dead target the subquery over ``1.5 × max_staleness_s + 5 s`` still finds the last
    real sample (to within its resolution, rounding towards *older*, i.e. fail-safe).
    """
    if not selectors:
        raise ValueError("no selectors")
    window, res = _window_for(max_staleness_s)
    terms = [
        f"label_replace(max(timestamp({s})) or max(max_over_time(timestamp({s})[{window}s:{res}s])), "
        f'"{_INPUT_LABEL}", "{i}", "__name__", ".*")'
        for i, s in enumerate(selectors)
    ]
    return " or ".join(terms)


# ------------------------------------------------------------------------------------------ PromQL builders


def _check_duration(window: object, field: str) -> str:
    if not isinstance(window, str) or not _DURATION.match(window):
        raise InvalidArgument(
            field, f"must be a PromQL duration such as 30s, 5m, 1h or 30d (got {window!r})"
        )
    return window


def _check_selector(selector: object, field: str) -> str:
    text = validate_query(selector, field)
    try:
        spans = _selector_spans(text)
    except PromQLScanError as exc:
        raise InvalidArgument(field, f"not a series selector: {exc}") from None
    if spans != [(0, len(text))]:
        raise InvalidArgument(
            field,
            f"must be one series selector such as "
            f'http_requests_total{{code=~"5.."}} (got {text!r})',
        )
    return text


def _check_labels(by: Sequence[str], field: str = "by") -> str:
    for label in by:
        if not isinstance(label, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", label):
            raise InvalidArgument(field, f"must be label names (got {label!r})")
    return ", ".join(by)


def rate_ratio_query(
    numerator: str, denominator: str, window: str = "5m", by: Sequence[str] = ()
) -> str:
    """``sum(rate(numerator[window])) / sum(rate(denominator[window]))`` — e.g. an error ratio.

    ``by`` keeps those labels (one sample per group; a guard needs a single sample, so leave it empty there).
    NaN when there is no traffic in the window (0/0): a guard treats that as unreadable (fail closed).
    """
    return _rate_ratio(numerator, denominator, window, by, "window")


def _rate_ratio(
    numerator: str, denominator: str, window: str, by: Sequence[str], window_field: str
) -> str:
    num = _check_selector(numerator, "numerator")
    den = _check_selector(denominator, "denominator")
    w = _check_duration(window, window_field)
    agg = f"sum by ({_check_labels(by)}) " if by else "sum"
    return f"{agg}(rate({num}[{w}])) / {agg}(rate({den}[{w}]))"


def burn_rate_query(
    numerator: str, denominator: str, window: str = "1h", objective: float = DEFAULT_OBJECTIVE
) -> str:
    """Burn rate over ``window``: ``(error ratio) / (1 - objective)``; 1 = spending exactly the budget."""
    budget = 1.0 - check_objective(objective)
    return f"({rate_ratio_query(numerator, denominator, window)}) / {budget:.12g}"


def error_budget_remaining_query(
    numerator: str,
    denominator: str,
    objective: float = DEFAULT_OBJECTIVE,
    period: str = DEFAULT_BUDGET_PERIOD,
) -> str:
    """Remaining error budget over ``period``: ``1 - (error ratio over period) / (1 - objective)``."""
    budget = 1.0 - check_objective(objective)
    return f"1 - ({_rate_ratio(numerator, denominator, period, (), 'period')}) / {budget:.12g}"


def histogram_quantile_query(
    bucket_selector: str, quantile: float = 0.95, window: str = "5m"
) -> str:
    """``histogram_quantile(q, sum by (le) (rate(<x>_bucket[window])))`` — e.g. a p95 latency in seconds."""
    sel = _check_selector(bucket_selector, "bucket_selector")
    if isinstance(quantile, bool) or not isinstance(quantile, int | float) or not 0 < quantile < 1:
        raise InvalidArgument("quantile", f"must be in (0, 1), e.g. 0.95 (got {quantile!r})")
    w = _check_duration(window, "window")
    return f"histogram_quantile({quantile:g}, sum by (le) (rate({sel}[{w}])))"


# --------------------------------------------------------------------------------------------- the source


def _one_line(text: object, limit: int = 300) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _redacted(url: str) -> str:
    try:
        u = httpx.URL(url)
        if u.userinfo:
            return str(u.copy_with(username=None, password=None))
    except Exception:
        pass
    return url


def _parse_number(raw: object, what: str) -> float:
    try:
        value = float(raw)  # Prometheus sends numbers as strings: "0.002", "NaN", "+Inf"
    except (TypeError, ValueError):
        raise SourceUnreadable(f"{what} is not a number: {_one_line(raw, 60)!r}") from None
    if math.isnan(value):
        raise SourceUnreadable(f"{what} is NaN (e.g. 0/0: no traffic in the rate window?)")
    if math.isinf(value):
        raise SourceUnreadable(f"{what} is {'+' if value > 0 else '-'}Inf (division by zero?)")
    return value


def _distinguishing_labels(metrics: Sequence[Mapping[str, str]]) -> list[str]:
    """Label sets of ``metrics`` reduced to the labels whose values differ (what to aggregate away)."""
    keys = sorted({k for m in metrics for k in m})
    differing = [k for k in keys if len({m.get(k) for m in metrics}) > 1] or keys
    return [
        _one_line("{" + ",".join(f'{k}="{m.get(k, "")}"' for k in differing) + "}", 80)
        for m in metrics
    ]


def single_value(data: Mapping[str, Any]) -> tuple[float, float, dict[str, str]]:
    """``(value, evaluated_at, labels)`` from the ``data`` of an instant-query answer; one sample only."""
    kind = data.get("resultType")
    result = data.get("result")
    if kind == "scalar":
        try:
            ts, raw = result  # type: ignore[misc]
        except (TypeError, ValueError):
            raise SourceUnreadable("malformed scalar in Prometheus answer") from None
        return _parse_number(raw, "query result"), float(ts), {}
    if kind == "vector":
        if not isinstance(result, list):
            raise SourceUnreadable("malformed vector in Prometheus answer")
        if not result:
            raise SourceUnreadable(
                "query returned no sample (no series matched, or they are stale)"
            )
        if len(result) > 1:
            sets = _distinguishing_labels(
                [s.get("metric") or {} for s in result if isinstance(s, dict)]
            )
            shown = ", ".join(sets[:3])
            more = ", ..." if len(result) > 3 else ""
            raise SourceUnreadable(
                f"query returned {len(result)} samples ({shown}{more}); a guard needs exactly one: "
                f"aggregate them, e.g. sum(...), max(...) or avg(...)"
            )
        sample = result[0]
        try:
            ts, raw = sample["value"]
        except (KeyError, TypeError, ValueError):
            raise SourceUnreadable("malformed sample in Prometheus answer") from None
        return _parse_number(raw, "query result"), float(ts), dict(sample.get("metric") or {})
    if kind == "matrix":
        raise SourceUnreadable(
            "query returned a range vector; use an instant expression, "
            "e.g. rate(x[5m]) instead of x[5m]"
        )
    raise SourceUnreadable(f"query returned a {kind or 'missing'} result; it must yield a number")


class _Api:
    """The HTTP side: one keep-alive ``httpx.Client``, deadline-bounded GETs of ``/api/v1/query``."""

    def __init__(self, url: str, bearer_token: str | None) -> None:
        self.url = url
        self.shown = _redacted(url)
        self.endpoint = f"{url}/api/v1/query"
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if bearer_token is not None:
            headers["Authorization"] = f"Bearer {bearer_token.strip()}"
        self.client = httpx.Client(
            headers=headers,
            verify=True,
            follow_redirects=False,
            timeout=httpx.Timeout(5.0),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=2),
        )
        self.closed = False
        self.lock = threading.Lock()

    def close(self) -> None:
        with self.lock:
            self.closed = True
        self.client.close()

    def query(
        self, query: str, deadline: float, budget: float, what: str, at: float | None = None
    ) -> dict[str, Any]:
        """GET the instant query (evaluated at ``at`` if given); return the answer's ``data``."""
        params: dict[str, str] = {"query": query}
        if at is not None:
            params["time"] = f"{at:.3f}"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SourceUnreadable(f"{what}: no answer from {self.shown} within {budget:g}s")
        if self.closed:
            raise SourceUnreadable(f"{what}: the source for {self.shown} is closed")
        body = bytearray()
        try:
            with self.client.stream(
                "GET", self.endpoint, params=params, timeout=httpx.Timeout(remaining)
            ) as resp:
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise SourceUnreadable(
                            f"{what}: answer larger than {MAX_RESPONSE_BYTES} bytes"
                        )
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("deadline passed")
                status, reason = resp.status_code, resp.reason_phrase
        except httpx.TimeoutException:
            raise SourceUnreadable(
                f"{what}: no answer from {self.shown} within {budget:g}s"
            ) from None
        except httpx.ConnectError as exc:
            raise SourceUnreadable(
                f"{what}: cannot connect to {self.shown}: {_one_line(exc, 120)}"
            ) from None
        except httpx.HTTPError as exc:
            raise SourceUnreadable(
                f"{what}: request to {self.shown} failed: "
                f"{type(exc).__name__}: {_one_line(exc, 120)}"
            ) from None
        except RuntimeError as exc:  # the client was closed by another thread
            raise SourceUnreadable(f"{what}: {_one_line(exc, 120)}") from None
        return self._payload(bytes(body), status, reason, what)

    def _payload(self, body: bytes, status: int, reason: str, what: str) -> dict[str, Any]:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("status") == "error":
            raise SourceUnreadable(
                f"{what}: Prometheus error ({payload.get('errorType', 'unknown')}): "
                f"{_one_line(payload.get('error', ''))}"
            )
        if status != 200:
            raise SourceUnreadable(f"{what}: HTTP {status} {reason} from {self.shown}")
        if (
            not isinstance(payload, dict)
            or payload.get("status") != "success"
            or not isinstance(payload.get("data"), dict)
        ):
            raise SourceUnreadable(
                f"{what}: not a Prometheus API answer from {self.shown} "
                f"(is the URL the server's base URL?)"
            )
        return payload["data"]


class PrometheusSource:
    """Reads one PromQL instant query from a Prometheus server (see the module doc for staleness).

    :param url: base URL, e.g. ``http://127.0.0.1:9090`` (a path prefix is kept).
    :param query: PromQL yielding exactly one sample (or a scalar).
    :param max_staleness_s: newest data behind the value may be at most this old (seconds).
    :param bearer_token: sent as ``Authorization: Bearer ...`` (never shown in messages).
    :param freshness_query: optional PromQL whose sample values are epoch seconds of the newest data behind
        ``query`` (the smallest counts); replaces the selectors derived from ``query``.

    Thread-safe: the ``httpx.Client`` is shared (keep-alive) and may be used from several threads.
    """

    def __init__(
        self,
        url: str,
        query: str,
        max_staleness_s: float = 30.0,
        bearer_token: str | None = None,
        freshness_query: str | None = None,
    ) -> None:
        self.url = validate_url(url)
        self.query = validate_query(query)
        if (
            isinstance(max_staleness_s, bool)
            or not isinstance(max_staleness_s, int | float)
            or not (math.isfinite(max_staleness_s) and 0 < max_staleness_s <= 86_400)
        ):
            raise InvalidArgument(
                "max_staleness_s", f"must be > 0 and <= 86400 seconds (got {max_staleness_s!r})"
            )
        self.max_staleness_s = float(max_staleness_s)
        if bearer_token is not None and (
            not isinstance(bearer_token, str)
            or not bearer_token.strip()
            or any(c in bearer_token for c in "\r\n")
        ):
            raise InvalidArgument("bearer_token", "must be a non-empty single-line string")
        self.custom_freshness = freshness_query is not None
        self.inputs: list[str] = []
        self._scan_error = ""
        if freshness_query is not None:
            self.freshness_query: str | None = validate_query(freshness_query, "freshness_query")
        else:
            try:
                self.inputs = series_selectors(self.query)
            except PromQLScanError as exc:
                self._scan_error = str(exc)
            if len(self.inputs) > MAX_SELECTORS:
                raise InvalidArgument(
                    "query",
                    f"has {len(self.inputs)} series selectors (at most "
                    f"{MAX_SELECTORS}); give a freshness_query",
                )
            self.freshness_query = (
                freshness_query_for(self.inputs, self.max_staleness_s) if self.inputs else None
            )
        self._api = _Api(self.url, bearer_token)

    @classmethod
    def from_spec(
        cls,
        spec: PrometheusGuard,
        environ: Mapping[str, str] | None = None,
        freshness_query: str | None = None,
    ) -> PrometheusSource:
        """Build from a guard definition; the token is read from ``spec.bearer_token_env`` if set."""
        env = os.environ if environ is None else environ
        token = None
        if spec.bearer_token_env:
            token = env.get(spec.bearer_token_env)
            if not token:
                raise InvalidArgument(
                    "bearer_token_env",
                    f"environment variable {spec.bearer_token_env} is not set or empty",
                )
        fq = (
            freshness_query
            if freshness_query is not None
            else getattr(spec, "freshness_query", None)
        )
        return cls(
            spec.url,
            spec.query,
            spec.max_staleness_s,
            bearer_token=token,
            freshness_query=fq or None,
        )

    # ---------------------------------------------------------------------------------------------- api
    def describe(self) -> str:
        """E.g. ``prometheus http://127.0.0.1:9090 sum(rate(...)) (max staleness 30s)``."""
        return (
            f"prometheus {_redacted(self.url)} {_one_line(self.query, 200)} "
            f"(max staleness {self.max_staleness_s:g}s)"
        )

    def read(self, timeout_s: float) -> Observation:
        """Evaluate the query and check freshness, all within ``timeout_s`` (shared by both requests).

        Raises :class:`SourceUnreadable` when the value is missing, ambiguous, not finite, or stale, or when
        Prometheus cannot be reached / answers with an error.
        """
        budget = check_timeout(timeout_s)
        deadline = time.monotonic() + budget
        data = self._api.query(self.query, deadline, budget, what="query")
        value, evaluated_at, labels = single_value(data)
        detail: dict[str, Any] = {"evaluated_at": evaluated_at, "labels": labels}
        if self.freshness_query is None:
            if self._scan_error:
                raise SourceUnreadable(
                    f"cannot tell how fresh the data is ({self._scan_error}); set freshness_query"
                )
            detail.update(age_s=0.0, freshness="no series selector in the query: always fresh")
            return Observation(value=value, at=evaluated_at, detail=detail)
        fdata = self._api.query(
            self.freshness_query, deadline, budget, what="freshness query", at=evaluated_at
        )
        at, inputs = self._freshness(fdata)
        age = max(0.0, evaluated_at - at)
        detail.update(age_s=round(age, 3), inputs=inputs)
        if age > self.max_staleness_s:
            stalest = min(
                (k for k, v in inputs.items() if v is not None),
                key=lambda k: inputs[k] or 0.0,
                default="",
            )
            which = f" (oldest input: {stalest})" if stalest and not self.custom_freshness else ""
            shown = math.ceil(age * 10) / 10  # rounded up: never "3.0s old, more than 3"
            raise SourceUnreadable(
                f"stale data: newest sample behind the value is {shown:.1f}s old, "
                f"more than max_staleness_s={self.max_staleness_s:g}{which}"
            )
        return Observation(value=value, at=at, detail=detail)

    def close(self) -> None:
        """Close the HTTP client (later reads raise :class:`SourceUnreadable`)."""
        self._api.close()

    def __enter__(self) -> PrometheusSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PrometheusSource({self.describe()!r})"

    # ----------------------------------------------------------------------------------------- internals
    def _freshness(self, data: Mapping[str, Any]) -> tuple[float, dict[str, float | None]]:
        """``(at, per-input newest sample time)`` from the freshness answer."""
        result = data.get("result")
        kind = data.get("resultType")
        what = "freshness query result"
        if self.custom_freshness:
            if kind == "scalar" and isinstance(result, list) and len(result) == 2:
                at = _parse_number(result[1], what)
                return at, {"freshness_query": at}
            if kind != "vector" or not isinstance(result, list):
                raise SourceUnreadable(
                    f"freshness query returned a {kind} result; it must yield epoch seconds"
                )
            if not result:
                raise SourceUnreadable(
                    "freshness query returned no sample: no data behind the value"
                )
            try:
                at = min(_parse_number(s["value"][1], what) for s in result)
            except (KeyError, IndexError, TypeError):
                raise SourceUnreadable("malformed freshness answer from Prometheus") from None
            return at, {"freshness_query": at}
        if kind != "vector" or not isinstance(result, list):
            raise SourceUnreadable(f"freshness query returned a {kind} result instead of a vector")
        inputs: dict[str, float | None] = dict.fromkeys(self.inputs)
        for sample in result:
            try:
                idx = int(sample["metric"][_INPUT_LABEL])
                inputs[self.inputs[idx]] = _parse_number(sample["value"][1], what)
            except (KeyError, IndexError, TypeError, ValueError):
                raise SourceUnreadable("malformed freshness answer from Prometheus") from None
        seen = [v for v in inputs.values() if v is not None]
        if not seen:
            window, _ = _window_for(self.max_staleness_s)
            raise SourceUnreadable(
                f"stale data: no sample of {', '.join(self.inputs)} in the last {window}s "
                f"(max_staleness_s={self.max_staleness_s:g})"
            )
        return min(seen), inputs


def query_value(
    url: str, query: str, timeout_s: float = 5.0, bearer_token: str | None = None
) -> float:
    """One instant query → its single finite value (no staleness check); raises :class:`SourceUnreadable`.

    Bad arguments raise :class:`InvalidArgument` naming the field before any request is made.
    """
    base = validate_url(url)
    text = validate_query(query)
    budget = check_timeout(timeout_s)
    if bearer_token is not None and (
        not bearer_token.strip() or any(c in bearer_token for c in "\r\n")
    ):
        raise InvalidArgument("bearer_token", "must be a non-empty single-line string")
    api = _Api(base, bearer_token)
    try:
        data = api.query(text, time.monotonic() + budget, budget, what="query")
    finally:
        api.close()
    return single_value(data)[0]
