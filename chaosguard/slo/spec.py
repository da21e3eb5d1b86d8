"""What users write to define a guard (``extensions[name=chaosguard].guards`` or control args).

Example (YAML)::

    guards:
      - name: p95-latency          # breach when the p95 of the sampler window exceeds 500 ms
        source: http
        url: http://127.0.0.1:8080/
        metric: p95_ms
        max: 500
      - name: error-rate
        source: prometheus
        url: http://127.0.0.1:9090
        query: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
        max: 0.01
        for_s: 5                   # like an alerting rule's `for`
      - name: custom
        source: python
        func: mypkg.slo:read_value
        min: 0.999

A guard with ``role: error-budget`` reads the fraction of the error budget left (e.g. from
``chaosguard.slo.prometheus`` helpers); preflight refuses when it is below the policy's floor.

      - name: p95-normal          # breach when p95 is "not normal" (learned before any action)
        source: http
        url: http://127.0.0.1:8080/
        metric: p95_ms
        anomaly: {detector: ensemble, direction: up, alpha: 0.01, baseline_readings: 60}

A guard needs exactly one of ``max`` (breach when value > max) and ``min`` (breach when
value < min), or an ``anomaly`` block (:class:`~chaosguard.slo.anomaly.spec.AnomalySpec`), or both
one bound and an anomaly block (either breaches). Importing this module does not import numpy.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chaosguard.slo.anomaly.spec import AnomalySpec
from chaosguard.slo.spec_rules import GuardRules

__all__ = ["GuardBase", "HttpGuard", "PrometheusGuard", "PythonGuard", "GuardSpec"]


class GuardBase(GuardRules, BaseModel):
    """Fields every guard has: a name, an objective and a ``for`` duration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    max: float | None = None
    min: float | None = None
    for_s: float = Field(default=0.0, ge=0, le=3600)
    timeout_s: float | None = Field(default=None, gt=0, le=60)
    #: ``error-budget``: the value is the fraction (0–1) of the error budget left; preflight
    #: compares it with the policy's ``guard.error_budget_floor`` (and watches it like any guard).
    role: Literal["slo", "error-budget"] = "slo"
    #: Breach also (or only, without ``max``/``min``) when the reading is "not normal" against a
    #: baseline learned from the guard's own readings before the first action.
    anomaly: AnomalySpec | None = None

    _check_bounds = model_validator(mode="after")(GuardRules._one_bound)


class HttpGuard(GuardBase):
    """Reads a figure of an HTTP sampler window (the guard starts its own sampler on ``url``)."""

    source: Literal["http"]
    url: str
    metric: Literal["p50_ms", "p95_ms", "p99_ms", "max_ms", "error_ratio"] = "p95_ms"
    window_s: float = Field(default=5.0, gt=0, le=3600)
    rate_per_s: float = Field(default=10.0, ge=0.1, le=1000)
    request_timeout_s: float = Field(default=2.0, gt=0, le=60)


class PrometheusGuard(GuardBase):
    """Reads a PromQL instant query that yields exactly one sample."""

    source: Literal["prometheus"]
    url: str
    query: str = Field(min_length=1)
    max_staleness_s: float = Field(default=30.0, gt=0, le=3600)
    bearer_token_env: str = ""
    #: PromQL giving the sample time(s) behind the value, when the query is too complex for the
    #: scanner.
    freshness_query: str | None = Field(default=None, min_length=1)


class PythonGuard(GuardBase):
    """Calls ``module:function`` (no arguments) returning a number."""

    source: Literal["python"]
    func: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


GuardSpec = Annotated[HttpGuard | PrometheusGuard | PythonGuard, Field(discriminator="source")]
