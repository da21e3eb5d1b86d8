"""Build the source of a guard spec (imports a source's module only when a guard uses it)."""

from __future__ import annotations

import os

from chaosguard.errors import InvalidArgument
from chaosguard.slo.base import SloSource
from chaosguard.slo.spec import GuardBase, HttpGuard, PrometheusGuard, PythonGuard

__all__ = ["build_source"]


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
