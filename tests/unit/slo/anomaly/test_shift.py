"""The ``shift`` detector: prewhitened residuals, its false-alarm rate on autocorrelated readings,
and the speed it was built for (a step on AR(1) readings), with fixed seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chaosguard.slo.anomaly import AnomalySpec, new_detector
from chaosguard.slo.anomaly.model import NU_GRID
from chaosguard.slo.anomaly.residual import CLIP, fit_rows, residuals, shift_statistic
from chaosguard.slo.anomaly.shift import LIGHTEST_NU, heavier_nu


def _ar1(rng: np.random.Generator, n: int, rho: float = 0.6, runs: int = 1) -> np.ndarray:
    e = np.empty((runs, n))
    e[:, 0] = rng.standard_normal(runs)
    shocks = rng.standard_normal((runs, n)) * math.sqrt(1 - rho * rho)
    for t in range(1, n):
        e[:, t] = rho * e[:, t - 1] + shocks[:, t]
    return 40 + 4 * e


def test_the_baseline_fit_recovers_the_ar1_model() -> None:
    x = _ar1(np.random.default_rng(1), 5000)
    mu, phi, sigma = fit_rows(x)
    assert mu[0] == pytest.approx(40, abs=0.5)
    assert phi[0] == pytest.approx(0.6, abs=0.05)
    assert sigma[0] == pytest.approx(4 * 0.8, rel=0.05)  # the innovations' sd, not the readings'


def test_prewhitened_residuals_are_white_and_a_step_shows_as_delta_then_one_minus_phi() -> None:
    x = _ar1(np.random.default_rng(2), 6000)
    mu, phi, sigma = fit_rows(x[:, :3000])
    u = residuals(x[:, 3000:], mu, phi, sigma)[0]
    assert abs(float(np.corrcoef(u[1:], u[:-1])[0, 1])) < 0.05  # the readings' is 0.6
    assert float(u.std()) == pytest.approx(1.0, abs=0.05)
    flat = np.full((1, 10), mu[0])
    flat[0, 4:] += 2.0 * sigma[0]  # a step of 2 residual sds at check 4
    stepped = residuals(flat, mu, phi, sigma)[0]
    assert stepped[4] == pytest.approx(2.0)
    assert stepped[5:] == pytest.approx(np.full(5, 2.0 * (1 - phi[0])))


def test_a_lone_outlier_weighs_at_most_the_clip() -> None:
    u = residuals(np.array([[0.0, 1e9, 0.0]]), np.zeros(1), np.zeros(1), np.ones(1))[0]
    assert u.tolist() == [0.0, CLIP, 0.0]


def test_the_statistic_is_the_best_window() -> None:
    u = np.array([[0.0, 0.0, 3.0, 3.0, 3.0]])
    z, delta = shift_statistic(u, np.ones(1), 5)
    # g = 1 (white readings): the shift that began 2 checks before the last, 9 / sqrt(3)
    assert z[0, -1] == pytest.approx(9 / math.sqrt(3))
    assert delta[0, -1] == pytest.approx(3.0)


def test_false_alarms_on_ar1_readings_stay_within_alpha() -> None:
    """ρ = 0.6, the source claiming independence: φ is estimated from the baseline alone."""
    rng = np.random.default_rng(20261130)
    det = new_detector(AnomalySpec(detector="shift"), interval_s=1.0)
    hits = 0
    for row in _ar1(rng, 360, runs=150):
        det.fit(row[:60])
        hits += bool(det.scan(row[60:])[2].any())  # type: ignore[attr-defined]
    # alpha 0.01: binomial(150, 0.01) exceeds 5 with probability < 0.5 %
    assert hits <= 5


def test_a_step_on_ar1_readings_is_caught_sooner_than_by_the_zscore() -> None:
    """What the detector is for: ×1.5 on AR(1) readings, within 5 checks of the step."""
    rng = np.random.default_rng(4)
    rows = _ar1(rng, 360, runs=60)
    at = rng.integers(10, 200, 60)
    within = {}
    for name in ("zscore", "shift"):
        det = new_detector(AnomalySpec(detector=name), interval_s=1.0)
        ok = 0
        for row, a in zip(rows, at, strict=True):
            x = row.copy()
            x[60 + a :] *= 1.5
            det.fit(x[:60])
            hits = np.flatnonzero(det.scan(x[60:])[2])  # type: ignore[attr-defined]
            ok += bool(hits.size and a <= hits[0] <= a + 5)
        within[name] = ok
    assert within["shift"] >= within["zscore"] + 5, within  # measured 34 and 26 of 60


def test_the_band_is_the_reading_that_would_be_anomalous() -> None:
    base = np.random.default_rng(6).normal(40, 4, 60)
    spec = AnomalySpec(detector="shift", min_change=0.0, alpha=0.2, confirm=1)
    det = new_detector(spec, interval_s=1.0)

    def fitted() -> None:  # a threshold a single reading can cross (see the next test)
        det.fit(base)
        det._h = min(det._h, 4.5)  # type: ignore[attr-defined]

    fitted()
    high = det.check(41.0).band_high  # the band of a check does not depend on its reading
    assert math.isfinite(high) and high > 41.0
    for value, anomalous in [(high + 0.01, True), (high - 0.01, False)]:
        fitted()
        assert det.check(value).anomalous is anomalous


def test_a_threshold_at_the_clip_has_no_finite_band() -> None:
    """A single residual counts at most ``CLIP``: when the threshold is there, no reading alone
    is anomalous, and the band says so (±∞) rather than naming a reading that is not."""
    base = np.random.default_rng(6).normal(40, 4, 60)
    det = new_detector(AnomalySpec(detector="shift", min_change=0.0, confirm=1), interval_s=1.0)
    det.fit(base)
    det._h = CLIP  # type: ignore[attr-defined]  # what a heavy-tailed calibration may give
    verdict = det.check(1e6)
    assert verdict.band_high == math.inf and not verdict.anomalous


def test_the_ensemble_band_is_its_narrowest_member_band_for_one_of_n() -> None:
    base = np.random.default_rng(8).normal(40, 4, 60)
    det = new_detector(AnomalySpec(), interval_s=1.0)  # 1 of (moving-average, shift)
    b = det.fit(base)
    members = b.extra["members"].values()
    assert b.high == min(m["high"] for m in members if m["high"] is not None)
    assert b.low == max(m["low"] for m in members if m["low"] is not None)


def test_the_simulated_tail_is_two_steps_heavier_and_never_lighter_than_t5() -> None:
    assert [heavier_nu(nu) for nu in NU_GRID] == [3.0, 3.0, 3.0, 4.0, 5.0, 5.0, 5.0, 5.0]
    rng = np.random.default_rng(2)
    det = new_detector(AnomalySpec(detector="shift"), interval_s=1.0)
    baseline = det.fit(40 + 4 * rng.standard_normal(60))  # Gaussian-looking
    assert baseline.extra["nu"] == LIGHTEST_NU
