"""``chaosguard.slo.prometheus`` re-exports, from their modules, the names other packages import."""

from __future__ import annotations

import chaosguard.slo.prometheus as prom
from chaosguard.slo.prometheus import budget, client, queries, scanner, source, validate

EXPORTS = {
    "DEFAULT_OBJECTIVE": budget,
    "DEFAULT_BUDGET_PERIOD": budget,
    "MAX_QUERY_CHARS": validate,
    "MAX_RESPONSE_BYTES": client,
    "MAX_SELECTORS": source,
    "PrometheusSource": source,
    "query_value": client,
    "burn_rate": budget,
    "error_budget_remaining": budget,
    "rate_ratio_query": queries,
    "burn_rate_query": queries,
    "error_budget_remaining_query": queries,
    "histogram_quantile_query": queries,
    "series_selectors": scanner,
    "freshness_query_for": queries,
    "PromQLScanError": scanner,
    "single_value": client,
    "validate_url": validate,
    "validate_query": validate,
    "check_timeout": validate,
    "check_objective": validate,
}


def test_the_package_re_exports_each_name_from_its_module() -> None:
    assert sorted(prom.__all__) == sorted(EXPORTS)
    for name, module in EXPORTS.items():
        assert name in module.__all__, f"{module.__name__} does not export {name}"
        assert getattr(prom, name) is getattr(module, name), name


def test_every_module_exports_what_it_defines() -> None:
    for module in (budget, client, queries, scanner, source, validate):
        assert module.__doc__ and module.__doc__.strip()
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.__all__ names a missing {name}"
