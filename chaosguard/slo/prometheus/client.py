"""The Prometheus HTTP API client: deadline-bounded instant queries, errors converted at the edge.

:class:`PrometheusClient` holds one keep-alive ``httpx.Client`` (TLS verified, no redirects, an
explicit timeout) and GETs ``{url}/api/v1/query``; every failure — timeout, refused connection, HTTP
error status, ``status: error``, an answer that is not the API's JSON, a body over
:data:`MAX_RESPONSE_BYTES` — becomes :class:`~chaosguard.slo.base.SourceUnreadable` with one line
saying why (the URL shown without credentials). :func:`single_value` reads an answer's one finite
number; :func:`query_value` is the one-shot read the probes use.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from chaosguard.errors import InvalidArgument
from chaosguard.slo.base import SourceUnreadable
from chaosguard.slo.prometheus.validate import check_timeout, validate_query, validate_url

__all__ = [
    "MAX_RESPONSE_BYTES",
    "PrometheusClient",
    "check_bearer_token",
    "one_line",
    "parse_number",
    "query_value",
    "redacted",
    "series_values",
    "single_value",
]

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
"""Largest answer read; a bigger one is refused (a guard's query yields one sample)."""
_USER_AGENT = "chaosguard-prometheus-source"


def one_line(text: object, limit: int = 300) -> str:
    """``text`` with its whitespace collapsed, cut to ``limit`` characters (for messages)."""
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def redacted(url: str) -> str:
    """``url`` without ``user:password@`` (safe to show)."""
    try:
        u = httpx.URL(url)
        if u.userinfo:
            return str(u.copy_with(username=None, password=None))
    except Exception:
        pass
    return url


def check_bearer_token(token: object, field: str = "bearer_token") -> str:
    """Return ``token`` if it is a non-empty single-line string, else raise ``InvalidArgument``."""
    if not isinstance(token, str) or not token.strip() or any(c in token for c in "\r\n"):
        raise InvalidArgument(field, "must be a non-empty single-line string")
    return token


def parse_number(raw: object, what: str) -> float:
    """A finite float from a Prometheus number (a string: ``"0.002"``, ``"NaN"``, ``"+Inf"``)."""
    try:
        if not isinstance(raw, str | int | float):
            raise TypeError(type(raw).__name__)
        value = float(raw)
    except (TypeError, ValueError):
        raise SourceUnreadable(f"{what} is not a number: {one_line(raw, 60)!r}") from None
    if math.isnan(value):
        raise SourceUnreadable(f"{what} is NaN (e.g. 0/0: no traffic in the rate window?)")
    if math.isinf(value):
        raise SourceUnreadable(f"{what} is {'+' if value > 0 else '-'}Inf (division by zero?)")
    return value


def _distinguishing_labels(metrics: Sequence[Mapping[str, str]]) -> list[str]:
    """Label sets of ``metrics`` cut to the labels whose values differ (what to aggregate away)."""
    keys = sorted({k for m in metrics for k in m})
    differing = [k for k in keys if len({m.get(k) for m in metrics}) > 1] or keys
    return [
        one_line("{" + ",".join(f'{k}="{m.get(k, "")}"' for k in differing) + "}", 80)
        for m in metrics
    ]


def single_value(data: Mapping[str, Any]) -> tuple[float, float, dict[str, str]]:
    """``(value, evaluated_at, labels)`` from the ``data`` of an instant-query answer.

    The answer must be a ``scalar`` or a ``vector`` of exactly one sample with a finite value;
    anything else raises :class:`SourceUnreadable` (several samples: naming the labels that differ).
    """
    kind = data.get("resultType")
    result = data.get("result")
    if kind == "scalar":
        try:
            ts, raw = result  # type: ignore[misc]
        except (TypeError, ValueError):
            raise SourceUnreadable("malformed scalar in Prometheus answer") from None
        return parse_number(raw, "query result"), float(ts), {}
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
        return parse_number(raw, "query result"), float(ts), dict(sample.get("metric") or {})
    if kind == "matrix":
        raise SourceUnreadable(
            "query returned a range vector; use an instant expression, "
            "e.g. rate(x[5m]) instead of x[5m]"
        )
    raise SourceUnreadable(f"query returned a {kind or 'missing'} result; it must yield a number")


def series_values(data: Mapping[str, Any]) -> list[tuple[float, float]]:
    """``[(time, value), ...]`` of the one series of a range-query answer's ``data``.

    Anything but a ``matrix`` of exactly one series raises :class:`SourceUnreadable`, and so does
    a NaN or infinite point (never read as 0): a baseline must not learn from it.
    """
    result = data.get("result")
    if data.get("resultType") != "matrix" or not isinstance(result, list):
        raise SourceUnreadable(f"range query returned a {data.get('resultType')} result")
    if len(result) != 1:
        what = "no series" if not result else f"{len(result)} series"
        raise SourceUnreadable(f"range query returned {what}; a guard needs exactly one")
    try:
        points = [(float(ts), raw) for ts, raw in result[0]["values"]]
    except (KeyError, TypeError, ValueError):
        raise SourceUnreadable("malformed series in Prometheus answer") from None
    return [(ts, parse_number(raw, f"range query point at {ts:.0f}")) for ts, raw in points]


class PrometheusClient:
    """One keep-alive ``httpx.Client`` (:attr:`http`) per server; deadline-bounded instant queries.

    Thread-safe: several threads may query at once. After :meth:`close` every query raises
    :class:`SourceUnreadable` saying the source is closed.
    """

    def __init__(self, url: str, bearer_token: str | None = None) -> None:
        self.url = url
        self.shown = redacted(url)
        self.endpoint = f"{url}/api/v1/query"
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if bearer_token is not None:
            headers["Authorization"] = f"Bearer {bearer_token.strip()}"
        self.http = httpx.Client(
            headers=headers,
            verify=True,
            follow_redirects=False,
            timeout=httpx.Timeout(5.0),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=2),
        )
        self.closed = False
        self.lock = threading.Lock()

    def close(self) -> None:
        """Close the connections; idempotent."""
        with self.lock:
            self.closed = True
        self.http.close()

    def query(
        self, query: str, deadline: float, budget: float, what: str, at: float | None = None
    ) -> dict[str, Any]:
        """GET the instant query (evaluated at ``at`` if given); return the answer's ``data``.

        ``deadline`` is a ``time.monotonic()`` instant shared by the caller's requests; ``budget``
        (s) is only shown in messages. Every network phase (pool, connect, each socket read) gets
        the remaining time and the body is cut at the deadline, so a refused, hung or trickling
        server ends in time; only a slow connect *followed by* a slow first byte can exceed it (at
        most ~2×): httpx cannot shrink the read timeout after connecting.
        """
        params: dict[str, str] = {"query": query}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self._get(self.endpoint, params, deadline, budget, what)

    def query_range(
        self,
        query: str,
        start: float,
        end: float,
        step: float,
        deadline: float,
        budget: float,
        what: str,
    ) -> dict[str, Any]:
        """GET the range query from ``start`` to ``end`` (epoch s) every ``step`` seconds; return
        the answer's ``data`` (failures as in :meth:`query`)."""
        params = {
            "query": query,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": f"{step:.3f}",
        }
        return self._get(f"{self.url}/api/v1/query_range", params, deadline, budget, what)

    def _get(
        self, endpoint: str, params: dict[str, str], deadline: float, budget: float, what: str
    ) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SourceUnreadable(f"{what}: no answer from {self.shown} within {budget:g}s")
        if self.closed:
            raise SourceUnreadable(f"{what}: the source for {self.shown} is closed")
        body = bytearray()
        try:
            with self.http.stream(
                "GET", endpoint, params=params, timeout=httpx.Timeout(remaining)
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
                f"{what}: cannot connect to {self.shown}: {one_line(exc, 120)}"
            ) from None
        except httpx.HTTPError as exc:
            raise SourceUnreadable(
                f"{what}: request to {self.shown} failed: "
                f"{type(exc).__name__}: {one_line(exc, 120)}"
            ) from None
        except RuntimeError as exc:  # the client was closed by another thread
            raise SourceUnreadable(f"{what}: {one_line(exc, 120)}") from None
        return self._payload(bytes(body), status, reason, what)

    def _payload(self, body: bytes, status: int, reason: str, what: str) -> dict[str, Any]:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("status") == "error":
            raise SourceUnreadable(
                f"{what}: Prometheus error ({payload.get('errorType', 'unknown')}): "
                f"{one_line(payload.get('error', ''))}"
            )
        if status != 200:
            raise SourceUnreadable(f"{what}: HTTP {status} {reason} from {self.shown}")
        ok = isinstance(payload, dict) and payload.get("status") == "success"
        data = payload.get("data") if ok else None
        if not isinstance(data, dict):
            raise SourceUnreadable(
                f"{what}: not a Prometheus API answer from {self.shown} "
                f"(is the URL the server's base URL?)"
            )
        return data


def query_value(
    url: str, query: str, timeout_s: float = 5.0, bearer_token: str | None = None
) -> float:
    """One instant query → its single finite value (no staleness check).

    Bad arguments raise :class:`InvalidArgument` naming the field before any request is made; an
    unreadable answer raises :class:`SourceUnreadable`.
    """
    base = validate_url(url)
    text = validate_query(query)
    budget = check_timeout(timeout_s)
    if bearer_token is not None:
        check_bearer_token(bearer_token)
    client = PrometheusClient(base, bearer_token)
    try:
        data = client.query(text, time.monotonic() + budget, budget, what="query")
    finally:
        client.close()
    return single_value(data)[0]
