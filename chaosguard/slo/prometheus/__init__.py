"""Prometheus as an SLO source: PromQL scanner, query builders, SLO arithmetic, client, source.

:mod:`~.validate` checks user input, :mod:`~.scanner` finds the series selectors of a query,
:mod:`~.queries` builds PromQL (error ratio, burn rate, error budget left, histogram quantile,
    freshness), :mod:`~.budget` does the same arithmetic on numbers, :mod:`~.client` talks to the
    HTTP API (errors become :class:`~chaosguard.slo.base.SourceUnreadable`) and :mod:`~.source` is
    the guard source,
:class:`PrometheusSource`. This package re-exports the names other packages use; code inside
    ``chaosguard.slo`` and ``chaosguard.probes`` imports from the module itself.
"""

from chaosguard.slo.prometheus.budget import (
    DEFAULT_BUDGET_PERIOD,
    DEFAULT_OBJECTIVE,
    burn_rate,
    error_budget_remaining,
)
from chaosguard.slo.prometheus.client import MAX_RESPONSE_BYTES, query_value, single_value
from chaosguard.slo.prometheus.queries import (
    burn_rate_query,
    error_budget_remaining_query,
    freshness_query_for,
    histogram_quantile_query,
    rate_ratio_query,
)
from chaosguard.slo.prometheus.scanner import PromQLScanError, series_selectors
from chaosguard.slo.prometheus.source import MAX_SELECTORS, PrometheusSource
from chaosguard.slo.prometheus.validate import (
    MAX_QUERY_CHARS,
    check_objective,
    check_timeout,
    validate_query,
    validate_url,
)

__all__ = [
    "DEFAULT_OBJECTIVE",
    "DEFAULT_BUDGET_PERIOD",
    "MAX_QUERY_CHARS",
    "MAX_RESPONSE_BYTES",
    "MAX_SELECTORS",
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
