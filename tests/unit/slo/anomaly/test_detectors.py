"""Detectors: fail closed, streaming equals batch, and false-alarm / detection with fixed seeds."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from chaosguard.errors import Refused
from chaosguard.slo.anomaly import AnomalySpec, BaselineError, new_detector
from chaosguard.slo.anomaly.thresholds import _mean_tail_power, filter_model, multiplier

DETECTORS = ["zscore", "moving-average", "iqr", "ewma", "holt", "shift", "ensemble"]


@pytest.mark.parametrize("name", DETECTORS)
def test_too_short_a_baseline_refuses_with_the_numbers(name: str) -> None:
    det = new_detector(AnomalySpec(detector=name), interval_s=1.0)
    with pytest.raises(BaselineError, match="needs 60 readings, had 12") as info:
        det.fit([40.0] * 12)
    assert isinstance(info.value, Refused) and info.value.exit_code == 3


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_baseline_reading_refuses(bad: float) -> None:
    det = new_detector(AnomalySpec(detector="zscore"), interval_s=1.0)
    with pytest.raises(BaselineError, match="non-finite"):
        det.fit([40.0] * 59 + [bad])


@pytest.mark.parametrize("name", DETECTORS)
def test_nan_when_checking_fails_closed_never_zero(name: str) -> None:
    det = new_detector(AnomalySpec(detector=name), interval_s=1.0)
    det.fit(np.random.default_rng(1).normal(40, 4, 60))
    verdict = det.check(math.nan)
    assert verdict.anomalous and verdict.confirmed and verdict.reason == "not a finite number"


def test_check_before_fit_refuses() -> None:
    with pytest.raises(BaselineError, match="no baseline"):
        new_detector(AnomalySpec(detector="ewma"), interval_s=1.0).check(1.0)


def test_a_zero_baseline_flags_errors_and_min_abs_change_sets_the_floor() -> None:
    det = new_detector(AnomalySpec(detector="zscore"), interval_s=1.0)
    det.fit([0.0] * 60)
    assert [det.check(0.005).confirmed for _ in range(2)] == [False, True]
    floored = new_detector(AnomalySpec(detector="zscore", min_abs_change=0.01), interval_s=1.0)
    floored.fit([0.0] * 60)
    assert not any(floored.check(0.005).anomalous for _ in range(5))
    assert floored.check(0.02).anomalous


@pytest.mark.parametrize("name", DETECTORS)
def test_a_constant_zero_baseline_never_hides_a_rise(name: str) -> None:
    """No spread and no floor: the smoothers' fence must not pin their input to the centre."""
    det = new_detector(AnomalySpec(detector=name), interval_s=1.0)
    det.fit([0.0] * 60)
    assert det.scan(np.full(10, 0.005))[2].any()  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", DETECTORS)
def test_streaming_check_equals_scan(name: str) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(40, 4, 160)
    x[110:] *= 2.0
    det = new_detector(AnomalySpec(detector=name, baseline_readings=60), interval_s=1.0)
    det.fit(x[:60])
    _, anomalous, confirmed = det.scan(x[60:])  # type: ignore[attr-defined]
    det.fit(x[:60])
    streamed = [det.check(float(v)) for v in x[60:]]
    assert [v.anomalous for v in streamed] == anomalous.tolist()
    assert [v.confirmed for v in streamed] == confirmed.tolist()
    assert any(v.confirmed for v in streamed)


def test_direction_down_and_both() -> None:
    base = np.random.default_rng(3).normal(100, 5, 60)
    for direction, low, high in [("up", False, True), ("down", True, False), ("both", True, True)]:
        det = new_detector(AnomalySpec(detector="zscore", direction=direction), interval_s=1.0)
        det.fit(base)
        assert det.check(20.0).anomalous is low
        det.fit(base)
        assert det.check(300.0).anomalous is high


def test_confirmation_quadrature_matches_monte_carlo() -> None:
    """E over the baseline of p(B)^2 at the computed multiplier, checked by simulation."""
    c = multiplier(1e-4, 30, 29, 1.0, 2)
    assert _mean_tail_power(c, 30, 29, 1.0, 2) == pytest.approx(1e-4, rel=1e-3)
    rng = np.random.default_rng(11)
    n, draws = 30, 400_000
    mean_err = rng.standard_normal(draws) / math.sqrt(n)
    s = np.sqrt(rng.chisquare(n - 1, draws) / (n - 1))
    p = stats.norm.sf(mean_err + c * s * math.sqrt(1 + 1 / n))
    assert float(np.mean(p**2)) == pytest.approx(1e-4, rel=0.05)
    # one check (j = 1) is exactly the t prediction interval
    assert multiplier(1e-3, 30, 29, 1.0, 1) == pytest.approx(stats.t.isf(1e-3, 29), rel=1e-9)


def test_filter_variance_and_autocorrelation_time() -> None:
    assert filter_model(np.ones(5) / 5, 0.0).v == pytest.approx(0.2)
    assert filter_model(np.ones(5) / 5, 0.0).tau == pytest.approx(5.0)
    assert filter_model(np.ones(1), 0.5).tau == pytest.approx(3.0, rel=1e-6)


def _false_alarms(name: str, runs: int, make: object, **spec: object) -> int:
    rng = np.random.default_rng(20261130)
    det = new_detector(AnomalySpec(detector=name, **spec), interval_s=1.0)  # type: ignore[arg-type]
    hits = 0
    for _ in range(runs):
        x = make(rng)  # type: ignore[operator]
        det.fit(x[:60])
        hits += bool(det.scan(x[60:])[2].any())  # type: ignore[attr-defined]
    return hits


@pytest.mark.parametrize("name", DETECTORS)
def test_false_alarm_rate_on_white_noise_is_within_alpha(name: str) -> None:
    runs = 200
    hits = _false_alarms(name, runs, lambda rng: rng.normal(40, 4, 360), thin=1)
    # alpha 0.01: binomial(200, 0.01) exceeds 6 with probability < 0.5 %
    assert hits <= 6, f"{hits} false alarms in {runs} runs"


def test_false_alarm_rate_on_ar1_readings_is_within_alpha() -> None:
    """ρ = 0.6 estimated from the baseline itself (the source claims independence); the default
    ensemble (zscore, moving average and EWMA, calibrated jointly)."""

    def ar1(rng: np.random.Generator) -> np.ndarray:
        e = np.empty(360)
        e[0] = rng.standard_normal()
        for t in range(1, 360):
            e[t] = 0.6 * e[t - 1] + 0.8 * rng.standard_normal()
        return 40 + 4 * e

    # alpha 0.01: binomial(150, 0.01) exceeds 5 with probability < 0.5 %
    assert _false_alarms("ensemble", 150, ar1) <= 5


@pytest.mark.parametrize("name", ["zscore", "moving-average", "ewma", "holt", "shift", "ensemble"])
def test_a_doubling_is_detected_within_five_checks(name: str) -> None:
    rng = np.random.default_rng(5)
    det = new_detector(AnomalySpec(detector=name, thin=1), interval_s=1.0)
    delays = []
    for _ in range(100):
        x = rng.normal(40, 4, 360)
        at = int(rng.integers(10, 200))
        x[60 + at :] *= 2
        det.fit(x[:60])
        hits = np.flatnonzero(det.scan(x[60:])[2])  # type: ignore[attr-defined]
        delays.append(hits[0] - at if hits.size and hits[0] >= at else 99)
    assert sum(d <= 5 for d in delays) >= 95


def test_building_a_detector_imports_no_scipy() -> None:
    code = (
        "import sys; from chaosguard.slo.anomaly import AnomalySpec, new_detector;"
        "d = new_detector(AnomalySpec(), interval_s=1.0); d.fit([40.0 + i % 3 for i in range(60)]);"
        "d.check(41.0); print('scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]
