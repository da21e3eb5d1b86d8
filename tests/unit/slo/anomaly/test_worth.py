"""What a baseline is worth (:mod:`chaosguard.slo.anomaly.worth`): independent readings count
in full, autocorrelated ones for far less, the source's overlap and the block's ``thin`` set a
floor, and the ρ is the one the detectors fit with; and what the baseline phase does next."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chaosguard.slo.anomaly.spec import AnomalySpec
from chaosguard.slo.anomaly.thresholds import effective_n, estimate_rho, rho_for_thin
from chaosguard.slo.anomaly.worth import (
    Worth,
    baseline_rho,
    baseline_worth,
    next_step,
    readings_for,
)


def _ar1(n: int, rho: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = np.empty(n)
    e[0] = rng.standard_normal()
    shocks = rng.standard_normal(n) * math.sqrt(1 - rho * rho)
    for t in range(1, n):
        e[t] = rho * e[t - 1] + shocks[t]
    return 40 + 4 * e


@pytest.mark.parametrize("seed", range(5))
def test_independent_readings_are_worth_most_of_their_number(seed: int) -> None:
    worth = baseline_worth(list(_ar1(200, 0.0, seed)), AnomalySpec())
    assert worth.n == 200 and worth.rho <= 0.2  # the upper bound of a ρ near 0
    assert 0.65 * 200 <= worth.n_eff <= 200


@pytest.mark.parametrize("seed", range(5))
def test_autocorrelated_readings_are_worth_far_fewer(seed: int) -> None:
    worth = baseline_worth(list(_ar1(60, 0.6, seed)), AnomalySpec())
    assert worth.rho >= 0.35 and worth.n_eff < 30  # 60 readings at ρ 0.6: 15 (sampling varies)
    longer = baseline_worth(list(_ar1(240, 0.6, seed)), AnomalySpec())
    assert longer.n_eff > 2 * worth.n_eff


def test_the_rho_is_the_detectors_upper_bound_at_least_the_sources_overlap() -> None:
    x = _ar1(100, 0.3, 1)
    assert baseline_rho(AnomalySpec(), x, 1) == estimate_rho(x, upper=True)
    assert baseline_rho(AnomalySpec(), x, 1, upper=False) == estimate_rho(x, upper=False)
    assert baseline_rho(AnomalySpec(), x, 20) == max(rho_for_thin(20), estimate_rho(x))
    assert baseline_rho(AnomalySpec(thin=3), x, 20) == rho_for_thin(3)  # the block's thin wins
    worth = baseline_worth(list(x), AnomalySpec(thin=3))
    assert worth.n_eff == pytest.approx(effective_n(100, rho_for_thin(3)))


def test_non_finite_readings_are_not_counted() -> None:
    values = [*_ar1(50, 0.0, 2), math.nan, math.inf]
    assert baseline_worth(values, AnomalySpec()).n == 50
    assert baseline_worth([1.0, math.nan], AnomalySpec()).n_eff == 1.0


def test_it_describes_itself_in_words() -> None:
    worth = baseline_worth(list(_ar1(60, 0.6, 0)), AnomalySpec())
    text = worth.describe()
    assert text.startswith("60 readings worth about ") and "lag-1 autocorrelation 0." in text


def test_readings_for_scales_the_readings_by_what_they_lack() -> None:
    assert readings_for(Worth(60, 0.6, 15.0), 30) == 120
    assert readings_for(Worth(60, 0.6, 14.0), 30) == 129  # rounded up
    assert readings_for(Worth(60, 0.0, 60.0), 30) == 30


def test_next_step_waits_for_baseline_readings_then_stops_without_a_target() -> None:
    fixed = AnomalySpec(baseline_readings=20, baseline_effective=None)
    assert next_step(list(_ar1(19, 0.6, 1)), fixed) == ("learn", None)
    assert next_step(list(_ar1(20, 0.6, 1)), fixed) == ("fit", None)
    assert next_step(list(_ar1(19, 0.0, 1)), AnomalySpec(baseline_readings=20))[0] == "learn"


def test_next_step_fits_once_the_readings_are_worth_the_target() -> None:
    step, worth = next_step(list(_ar1(200, 0.0, 2)), AnomalySpec(baseline_readings=60))
    assert step == "fit" and worth is not None and worth.n_eff >= 30


@pytest.mark.parametrize("seed", range(3))
def test_a_required_target_learns_up_to_its_most_then_refuses(seed: int) -> None:
    spec = AnomalySpec(baseline_readings=20, baseline_effective=30, baseline_max_readings=40)
    x = list(_ar1(40, 0.95, seed))
    assert next_step(x[:39], spec)[0] == "learn"  # however hopeless: it was asked for
    step, worth = next_step(x, spec)
    assert step == "refuse" and worth is not None and worth.n_eff < 30


@pytest.mark.parametrize("seed", range(3))
def test_auto_learns_on_while_the_target_fits_and_is_fitted_short_at_its_most(seed: int) -> None:
    spec = AnomalySpec(baseline_readings=60)  # at most 600
    x = list(_ar1(300, 0.6, seed))
    step, worth = next_step(x[:60], spec)  # ρ 0.6: about 120-200 readings make 30
    assert step == "learn" and worth is not None and worth.n_eff < 30
    tight = AnomalySpec(baseline_readings=60, baseline_max_readings=61)
    step, worth = next_step(x[:61], tight)  # at its most: fitted, short (the guard warns)
    assert step == "fit" and worth is not None and worth.n_eff < 30


def test_auto_does_not_wait_for_a_target_out_of_reach() -> None:
    drift = [40 + 0.05 * i for i in range(60)]  # ρ ≈ 1: worth 2 whatever its length
    step, worth = next_step(drift, AnomalySpec())
    assert step == "fit" and worth is not None and readings_for(worth, 30) > 600
    assert next_step(drift, AnomalySpec(baseline_effective=30))[0] == "learn"  # required: waits
    # a rate() over 60 s read every second: 60 readings per independent one, 600 worth 10
    assert next_step(list(_ar1(60, 0.0, 4)), AnomalySpec(), source_thin=60)[0] == "fit"
