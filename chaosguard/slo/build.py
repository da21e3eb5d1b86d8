"""Build the source and the anomaly detector of a guard spec (imports a source's module, and
numpy, only when a guard uses them)."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, cast

from chaosguard.errors import InvalidArgument
from chaosguard.slo.base import SloSource

if TYPE_CHECKING:
    from chaosguard.slo.anomaly import Detector
    from chaosguard.slo.spec import GuardBase, HttpGuard, PrometheusGuard, PythonGuard

__all__ = ["build_detector", "build_source", "source_thin"]


def build_source(spec: GuardBase) -> SloSource:
    """The :class:`SloSource` reading ``spec``; bad fields are named ``guards.<name>.<field>``."""
    try:
        return _build(spec)
    except InvalidArgument as exc:
        if exc.field.startswith("guards."):
            raise
        raise InvalidArgument(f"guards.{spec.name}.{exc.field}", exc.problem) from None


def _build(spec: GuardBase) -> SloSource:
    if spec.source == "http":
        from chaosguard.slo.http.source import HttpSource

        return HttpSource(cast("HttpGuard", spec))
    if spec.source == "prometheus":
        from chaosguard.slo.prometheus.source import PrometheusSource

        prom = cast("PrometheusGuard", spec)
        token = None
        if prom.bearer_token_env:
            token = os.environ.get(prom.bearer_token_env)
            if not token:
                raise InvalidArgument(
                    f"guards.{prom.name}.bearer_token_env",
                    f"environment variable {prom.bearer_token_env} is not set",
                )
        return PrometheusSource(
            prom.url,
            prom.query,
            max_staleness_s=prom.max_staleness_s,
            bearer_token=token,
            freshness_query=prom.freshness_query,
        )
    if spec.source == "python":
        from chaosguard.slo.python_source import PythonSource

        return PythonSource(cast("PythonGuard", spec))
    raise InvalidArgument("guards.source", f"unknown source {spec.source!r}")


def source_thin(spec: GuardBase, interval_s: float) -> int:
    """Readings per independent reading that ``spec``'s source implies at ``interval_s``.

    HTTP: ``ceil(window_s / interval_s)`` (consecutive windows overlap). Prometheus: the longest
    range or subquery window of the query (``rate(x[1m])``) over the interval, 1 when it has none
    or cannot be scanned (the detector then estimates it from the baseline's autocorrelation).
    Python: 1.
    """
    step = max(interval_s, 1e-3)
    if spec.source == "http":
        return max(1, math.ceil(cast("HttpGuard", spec).window_s / step - 1e-9))
    if spec.source == "prometheus":
        from chaosguard.slo.prometheus.scanner import PromQLScanError, longest_range_s

        try:
            longest = longest_range_s(cast("PrometheusGuard", spec).query)
        except PromQLScanError:
            return 1
        return max(1, math.ceil(longest / step - 1e-9)) if longest else 1
    return 1


def build_detector(spec: GuardBase, interval_s: float) -> Detector | None:
    """The anomaly detector of ``spec`` (None without an ``anomaly`` block); imports numpy."""
    if spec.anomaly is None:
        return None
    from chaosguard.slo.anomaly import new_detector

    return new_detector(spec.anomaly, interval_s=interval_s, thin=source_thin(spec, interval_s))
