"""The Prometheus guard source: one PromQL instant query → one number, with a real staleness check.

:class:`PrometheusSource` evaluates the query through its
:class:`~chaosguard.slo.prometheus.client.PrometheusClient`, then evaluates at the same instant the
freshness query of :func:`~chaosguard.slo.prometheus.queries.freshness_query_for` over the query's
series selectors (found by :mod:`~chaosguard.slo.prometheus.scanner`), so a value computed from data
older than ``max_staleness_s`` is unreadable instead of healthy-looking. It follows the
:class:`~chaosguard.slo.base.SloSource` lifecycle: ``start()`` before watching, ``stop()`` after it
closes the HTTP client.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chaosguard.errors import InvalidArgument
from chaosguard.slo.base import Observation, SloSource, SourceUnreadable
from chaosguard.slo.prometheus.client import (
    PrometheusClient,
    check_bearer_token,
    one_line,
    parse_number,
    redacted,
    series_values,
    single_value,
)
from chaosguard.slo.prometheus.queries import INPUT_LABEL, freshness_query_for, freshness_window
from chaosguard.slo.prometheus.scanner import PromQLScanError, series_selectors
from chaosguard.slo.prometheus.validate import check_timeout, validate_query, validate_url

if TYPE_CHECKING:
    from chaosguard.slo.spec import PrometheusGuard

__all__ = ["MAX_SELECTORS", "PrometheusSource"]

MAX_SELECTORS = 32
"""Most series selectors a query may have without a ``freshness_query`` (one term each)."""


class PrometheusSource(SloSource):
    """Reads one PromQL instant query from a Prometheus server and checks how fresh its data is.

    :param url: base URL, e.g. ``http://127.0.0.1:9090`` (a path prefix is kept).
    :param query: PromQL yielding exactly one sample (or a scalar).
    :param max_staleness_s: newest data behind the value may be at most this old (seconds).
    :param bearer_token: sent as ``Authorization: Bearer ...`` (never shown in messages).
    :param freshness_query: optional PromQL whose sample values are epoch seconds of the newest data
        behind ``query`` (the smallest counts); replaces the selectors derived from ``query``. E.g.
        ``max(timestamp(http_requests_total{job="api"}))`` — but not ``timestamp(up == 1)``: on
        anything other than a bare selector ``timestamp()`` returns the evaluation time.

    Per selector the newest series counts (series churn, e.g. a replaced pod, is normal); across
    selectors the **oldest** counts (a value is as fresh as its stalest input), and that time is
    :attr:`Observation.at`. Selectors with no sample at all in the freshness window (e.g. the
        ``{code=~"5.."}`` side of ``... or vector(0)`` that never happened) are ignored as long as
        one has data. A query without any selector (``vector(1)``) is always fresh.

    Thread-safe: the HTTP client is shared (keep-alive) and may be used from several threads.
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
        if bearer_token is not None:
            check_bearer_token(bearer_token)
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
        self.client = PrometheusClient(self.url, bearer_token)

    @classmethod
    def from_spec(
        cls,
        spec: PrometheusGuard,
        environ: Mapping[str, str] | None = None,
        freshness_query: str | None = None,
    ) -> PrometheusSource:
        """Build from a guard spec; the token is read from ``spec.bearer_token_env`` if set."""
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

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Nothing to start: the client connects on the first read."""

    def stop(self) -> None:
        """Close the HTTP client; later reads raise :class:`SourceUnreadable`. Idempotent."""
        self.client.close()

    def close(self) -> None:
        """Alias of :meth:`stop`."""
        self.stop()

    def __enter__(self) -> PrometheusSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- reading --------------------------------------------------------------------------------
    def describe(self) -> str:
        """E.g. ``prometheus http://127.0.0.1:9090 sum(rate(...)) (max staleness 30s)``."""
        return (
            f"prometheus {redacted(self.url)} {one_line(self.query, 200)} "
            f"(max staleness {self.max_staleness_s:g}s)"
        )

    def read(self, timeout_s: float) -> Observation:
        """Evaluate the query and check freshness, both requests within ``timeout_s`` together.

        The freshness query is evaluated at the value's evaluation time (``time=``, Prometheus'
        clock); the value is stale when that time minus the newest sample's time exceeds
        ``max_staleness_s``. Raises :class:`SourceUnreadable` when the value is missing, ambiguous,
        not finite, or stale, or when Prometheus cannot be reached or answers with an error.
        """
        budget = check_timeout(timeout_s)
        deadline = time.monotonic() + budget
        data = self.client.query(self.query, deadline, budget, what="query")
        value, evaluated_at, labels = single_value(data)
        detail: dict[str, Any] = {"evaluated_at": evaluated_at, "labels": labels}
        if self.freshness_query is None:
            if self._scan_error:
                raise SourceUnreadable(
                    f"cannot tell how fresh the data is ({self._scan_error}); set freshness_query"
                )
            detail.update(age_s=0.0, freshness="no series selector in the query: always fresh")
            return Observation(value=value, at=evaluated_at, detail=detail)
        fdata = self.client.query(
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

    def history(self, seconds: float, step_s: float, timeout_s: float) -> list[float]:
        """The query's values over the last ``seconds``, one every ``step_s`` (a range query),
        oldest first: what an anomaly baseline learns from instead of waiting for readings.

        Raises :class:`SourceUnreadable` when Prometheus cannot answer in ``timeout_s``, when the
        query yields other than one series, or when a point is NaN or infinite. Gaps (no data at
        a step) are simply absent: the caller counts the points it got.
        """
        budget = check_timeout(timeout_s)
        deadline = time.monotonic() + budget
        end = time.time()
        data = self.client.query_range(
            self.query, end - seconds, end, step_s, deadline, budget, what="baseline range query"
        )
        return [value for _, value in series_values(data)]

    def __repr__(self) -> str:
        return f"PrometheusSource({self.describe()!r})"

    # -- internals ------------------------------------------------------------------------------
    def _freshness(self, data: Mapping[str, Any]) -> tuple[float, dict[str, float | None]]:
        """``(at, per-input newest sample time)`` from the freshness answer."""
        result = data.get("result")
        kind = data.get("resultType")
        what = "freshness query result"
        if self.custom_freshness:
            if kind == "scalar" and isinstance(result, list) and len(result) == 2:
                at = parse_number(result[1], what)
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
                at = min(parse_number(s["value"][1], what) for s in result)
            except (KeyError, IndexError, TypeError):
                raise SourceUnreadable("malformed freshness answer from Prometheus") from None
            return at, {"freshness_query": at}
        if kind != "vector" or not isinstance(result, list):
            raise SourceUnreadable(f"freshness query returned a {kind} result instead of a vector")
        inputs: dict[str, float | None] = dict.fromkeys(self.inputs)
        for sample in result:
            try:
                idx = int(sample["metric"][INPUT_LABEL])
                inputs[self.inputs[idx]] = parse_number(sample["value"][1], what)
            except (KeyError, IndexError, TypeError, ValueError):
                raise SourceUnreadable("malformed freshness answer from Prometheus") from None
        seen = [v for v in inputs.values() if v is not None]
        if not seen:
            window, _ = freshness_window(self.max_staleness_s)
            raise SourceUnreadable(
                f"stale data: no sample of {', '.join(self.inputs)} in the last {window}s "
                f"(max_staleness_s={self.max_staleness_s:g})"
            )
        return min(seen), inputs
