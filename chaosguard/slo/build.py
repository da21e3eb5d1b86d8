"""Build the source and the anomaly detector of a guard spec (imports a source's module, and
numpy, only when a guard uses them)."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

from chaosguard.errors import InvalidArgument
from chaosguard.slo.base import SloSource
from chaosguard.slo.spec import GuardBase, HttpGuard, PrometheusGuard, PythonGuard

if TYPE_CHECKING:
    from chaosguard.slo.anomaly import Detector

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
    if isinstance(spec, HttpGuard):
        from chaosguard.slo.http.source import HttpSource

        return HttpSource(spec)
    if isinstance(spec, PrometheusGuard):
        from chaosguard.slo.prometheus.source import PrometheusSource

        token = None
        if spec.bearer_token_env:
            token = os.environ.get(spec.bearer_token_env)
            if not token:
                raise InvalidArgument(
                    f"guards.{spec.name}.bearer_token_env",
                    f"environment variable {spec.bearer_token_env} is not set",
                )
        return PrometheusSource(
            spec.url,
            spec.query,
            max_staleness_s=spec.max_staleness_s,
            bearer_token=token,
            freshness_query=spec.freshness_query,
        )
    if isinstance(spec, PythonGuard):
        from chaosguard.slo.python_source import PythonSource

        return PythonSource(spec)
    raise InvalidArgument("guards.source", f"unknown source {type(spec).__name__}")


def source_thin(spec: GuardBase, interval_s: float) -> int:
    """Readings per independent reading that ``spec``'s source implies at ``interval_s``.

    HTTP: ``ceil(window_s / interval_s)`` (consecutive windows overlap). Prometheus: the longest
    range or subquery window of the query (``rate(x[1m])``) over the interval, 1 when it has none
    or cannot be scanned (the detector then estimates it from the baseline's autocorrelation).
    Python: 1.
    """
    step = max(interval_s, 1e-3)
    if isinstance(spec, HttpGuard):
        return max(1, math.ceil(spec.window_s / step - 1e-9))
    if isinstance(spec, PrometheusGuard):
        from chaosguard.slo.prometheus.scanner import PromQLScanError, longest_range_s

        try:
            longest = longest_range_s(spec.query)
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
