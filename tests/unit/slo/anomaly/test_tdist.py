"""Our t and normal tails (no scipy at run time) against scipy.stats."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from chaosguard.slo.anomaly.tdist import norm_isf, norm_sf, t_isf, t_sf


@pytest.mark.parametrize("df", [1.0, 2.5, 6.5, 29.0, 59.0, 119.0, 1000.0])
@pytest.mark.parametrize("p", [0.4, 0.05, 0.005, 1e-4, 1e-6, 1e-9])
def test_t_quantile_matches_scipy(df: float, p: float) -> None:
    assert t_isf(p, df) == pytest.approx(stats.t.isf(p, df), rel=1e-9)


@pytest.mark.parametrize("df", [1.0, 3.0, 29.0, 200.0])
@pytest.mark.parametrize("x", [-3.0, -0.5, 0.0, 0.7, 2.8, 9.0, 40.0])
def test_t_tail_matches_scipy(df: float, x: float) -> None:
    assert t_sf(x, df) == pytest.approx(stats.t.sf(x, df), rel=1e-9, abs=1e-300)


def test_the_facts_sheet_prediction_interval_figures() -> None:
    # two-sided alpha 0.01: t(n-1) * sqrt(1 + 1/n) = 2.80 at n = 30, 2.68 at 60, 2.63 at 120
    for n, want in [(30, 2.80), (60, 2.68), (120, 2.63)]:
        got = t_isf(0.005, n - 1) * math.sqrt(1 + 1 / n)
        assert round(got, 2) == want


@pytest.mark.parametrize("p", [0.5, 0.1, 1e-3, 1e-8, 1e-15])
def test_normal_tail_and_quantile(p: float) -> None:
    assert norm_isf(p) == pytest.approx(stats.norm.isf(p), rel=1e-9, abs=1e-12)
    assert norm_sf(norm_isf(p)) == pytest.approx(p, rel=1e-9)


def test_bad_probabilities_are_refused() -> None:
    for p in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError):
            t_isf(p, 10.0)
    with pytest.raises(ValueError):
        t_sf(1.0, 0.0)
