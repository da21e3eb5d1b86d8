"""Burn rate, error budget and the PromQL builders: pure functions."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaosguard.errors import InvalidArgument
from chaosguard.slo.prometheus.budget import (
    DEFAULT_BUDGET_PERIOD,
    DEFAULT_OBJECTIVE,
    burn_rate,
    error_budget_remaining,
)
from chaosguard.slo.prometheus.queries import (
    burn_rate_query,
    error_budget_remaining_query,
    histogram_quantile_query,
    rate_ratio_query,
)
from chaosguard.slo.prometheus.scanner import series_selectors

objectives = st.floats(min_value=1e-6, max_value=1 - 1e-6)
ratios = st.floats(min_value=0, max_value=1)


def test_platform_defaults() -> None:
    assert DEFAULT_OBJECTIVE == 0.999 and DEFAULT_BUDGET_PERIOD == "30d"
    assert burn_rate(0.001) == pytest.approx(1.0)
    assert burn_rate(0.0144) == pytest.approx(14.4)  # the classic 1 h page threshold
    assert error_budget_remaining(0.0) == 1.0
    assert error_budget_remaining(0.0005) == pytest.approx(0.5)
    assert error_budget_remaining(0.002) == pytest.approx(-1.0)  # overspent: negative


@given(ratios, objectives)
def test_burn_rate_is_the_ratio_over_the_allowed_ratio(ratio: float, objective: float) -> None:
    assert burn_rate(ratio, objective) == pytest.approx(ratio / (1 - objective))
    assert burn_rate(ratio, objective) >= 0


@given(ratios, objectives)
def test_budget_left_is_one_minus_the_burn_over_the_period(ratio: float, objective: float) -> None:
    left = error_budget_remaining(ratio, objective)
    assert left <= 1.0
    assert left == pytest.approx(1 - burn_rate(ratio, objective), rel=1e-9, abs=1e-9)


@given(objectives)
def test_spending_exactly_the_allowed_ratio(objective: float) -> None:
    allowed = 1 - objective
    assert burn_rate(allowed, objective) == pytest.approx(1.0)
    assert error_budget_remaining(allowed, objective) == pytest.approx(0.0, abs=1e-9)
    assert error_budget_remaining(0.0, objective) == 1.0


@given(ratios, ratios, objectives)
def test_more_errors_burn_faster_and_leave_less(a: float, b: float, objective: float) -> None:
    lo, hi = sorted((a, b))
    assert burn_rate(lo, objective) <= burn_rate(hi, objective)
    assert error_budget_remaining(lo, objective) >= error_budget_remaining(hi, objective)


@given(st.one_of(st.floats(max_value=0), st.floats(min_value=1), st.just(math.nan), st.booleans()))
def test_objective_outside_zero_one_is_rejected(objective: float) -> None:
    for func in (burn_rate, error_budget_remaining):
        with pytest.raises(InvalidArgument) as err:
            func(0.001, objective)
        assert err.value.field == "objective"


@given(st.one_of(st.floats(max_value=-1e-12), st.just(math.nan), st.just(math.inf)))
def test_a_ratio_must_be_finite_and_not_negative(ratio: float) -> None:
    with pytest.raises(InvalidArgument) as err:
        burn_rate(ratio, 0.999)
    assert err.value.field == "error_ratio"
    with pytest.raises(InvalidArgument) as err:
        error_budget_remaining(ratio, 0.999)
    assert err.value.field == "error_ratio_over_period"


def test_builders() -> None:
    errors, total = 'http_requests_total{code=~"5.."}', "http_requests_total"
    q = rate_ratio_query(errors, total)
    assert (
        q == 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'
    )
    assert series_selectors(q) == [errors, total]
    assert rate_ratio_query(errors, total, "1h", by=["job"]) == (
        'sum by (job) (rate(http_requests_total{code=~"5.."}[1h])) '
        "/ sum by (job) (rate(http_requests_total[1h]))"
    )
    assert burn_rate_query(errors, total) == f"({rate_ratio_query(errors, total, '1h')}) / 0.001"
    assert (
        error_budget_remaining_query(errors, total)
        == f"1 - ({rate_ratio_query(errors, total, '30d')}) / 0.001"
    )
    assert (
        burn_rate_query(errors, total, "5m", objective=0.99)
        == f"({rate_ratio_query(errors, total)}) / 0.01"
    )
    assert histogram_quantile_query('http_request_duration_seconds_bucket{job="api"}') == (
        "histogram_quantile(0.95, sum by (le) "
        '(rate(http_request_duration_seconds_bucket{job="api"}[5m])))'
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"numerator": "sum(x)"}, "numerator"),
        ({"numerator": "x[5m]"}, "numerator"),
        ({"numerator": ""}, "numerator"),
        ({"denominator": "a or b"}, "denominator"),
        ({"denominator": 'x{a="b"'}, "denominator"),
        ({"window": "5 minutes"}, "window"),
        ({"window": "5"}, "window"),
        ({"by": ["le", "bad-label"]}, "by"),
    ],
)
def test_builders_reject_bad_input_naming_the_field(kwargs: dict, field: str) -> None:
    args = {"numerator": "errors_total", "denominator": "requests_total", **kwargs}
    with pytest.raises(InvalidArgument) as err:
        rate_ratio_query(**args)
    assert err.value.field == field


def test_other_builders_validate_too() -> None:
    with pytest.raises(InvalidArgument, match="'objective'"):
        burn_rate_query("e", "t", objective=1.0)
    with pytest.raises(InvalidArgument, match="'quantile'"):
        histogram_quantile_query("h_bucket", quantile=95)
    with pytest.raises(InvalidArgument, match="'bucket_selector'"):
        histogram_quantile_query("rate(h_bucket[5m])")
    with pytest.raises(InvalidArgument, match="'period'"):
        error_budget_remaining_query("e", "t", period="month")
