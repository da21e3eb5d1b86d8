"""The canary judge: Mann-Whitney U against scipy, and Kayenta-style classification with fixed
seeds (same distribution passes, a shift is High, few points are Inconclusive, nothing is NoData,
NaN is removed and counted, a zero baseline never lets errors pass)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from chaosguard.slo.anomaly.canary import (
    analyse_run,
    direction_of,
    judge,
    thinning_step,
)
from chaosguard.slo.anomaly.mannwhitney import EXACT_MAX_N, mann_whitney_u, min_points_for

small = st.lists(st.integers(-20, 20).map(float), min_size=1, max_size=30)


@given(small, small)
def test_mann_whitney_equals_scipy(x: list[float], y: list[float]) -> None:
    u, p = mann_whitney_u(x, y)
    ties = len(set(x + y)) < len(x) + len(y)
    method = "exact" if not ties and max(len(x), len(y)) <= EXACT_MAX_N else "asymptotic"
    ref = scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method=method)
    assert u == pytest.approx(ref.statistic)
    if math.isnan(ref.pvalue):  # scipy: every value equal → nan; here: no evidence, p = 1
        assert p == 1.0
    else:
        assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)


def test_mann_whitney_exact_without_ties_on_floats() -> None:
    rng = np.random.default_rng(7)
    for n1, n2 in [(5, 5), (6, 6), (9, 14), (20, 20)]:
        x, y = rng.normal(size=n1), rng.normal(1.0, size=n2)
        u, p = mann_whitney_u(list(x), list(y))
        ref = scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="exact")
        assert (u, p) == (pytest.approx(ref.statistic), pytest.approx(ref.pvalue))


def test_smallest_p_sets_the_points_needed() -> None:
    # the facts: smallest two-sided exact p is 0.0079 with 5 vs 5 and 0.0286 with 4 vs 4
    assert mann_whitney_u([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])[1] == pytest.approx(2 / 252)
    assert mann_whitney_u([1, 2, 3, 4], [6, 7, 8, 9])[1] == pytest.approx(2 / 70)
    assert min_points_for(0.98, floor=1) == 5
    assert min_points_for(0.999, floor=1) == 7


def _normal(seed: int, n: int, mean: float = 40.0, sd: float = 4.0) -> list[float]:
    return list(np.random.default_rng(seed).normal(mean, sd, n))


def test_same_distribution_passes() -> None:
    passed = sum(
        judge(_normal(s, 40), _normal(1000 + s, 60)).classification == "Pass" for s in range(200)
    )
    # two-sided at 98 %: about 1 % of null runs are High and 1 % Low; failing ones only High
    assert passed >= 190, passed


def test_shift_is_high_and_fails_an_up_metric() -> None:
    v = judge(_normal(1, 40), _normal(2, 60, mean=60.0), direction="up")
    assert v.classification == "High" and v.failed
    assert v.p_value is not None and v.p_value < 1e-6
    assert v.effect == pytest.approx(0.5, abs=0.08)
    assert v.hl_shift == pytest.approx(20.0, abs=3.0)
    assert v.baseline.n == 40 and v.experiment.n == 60


def test_direction_decides_what_fails() -> None:
    base, lower = _normal(1, 40), _normal(2, 40, mean=20.0)
    assert judge(base, lower, direction="up").classification == "Low"
    assert not judge(base, lower, direction="up").failed  # lower latency is no harm
    assert judge(base, lower, direction="down").failed
    assert judge(base, lower, direction="both").failed


def test_tiny_shift_below_tolerance_passes() -> None:
    v = judge(_normal(1, 400, sd=1.0), _normal(2, 400, mean=41.0, sd=1.0), effect_tolerance=0.1)
    assert v.p_value is not None and v.p_value < 1e-9  # significant…
    assert v.classification == "Pass"  # …but 2.5 % is below the 10 % tolerance


def test_few_points_are_inconclusive_with_the_numbers() -> None:
    v = judge([40, 41, 39], [90, 95, 99, 120])
    assert v.classification == "Inconclusive" and not v.failed
    assert v.min_points == 5
    assert "5 needed per side" in v.reason and "got 3 baseline and 4" in v.reason


def test_empty_is_nodata() -> None:
    for base, exp in [([], [1.0, 2.0]), ([1.0] * 10, []), ([], [])]:
        v = judge(base, exp)
        assert v.classification == "NoData" and not v.failed
    assert "fault window" in judge([1.0] * 10, [math.nan, None]).reason


def test_nan_is_removed_and_counted_never_zero() -> None:
    base = _normal(3, 30)
    exp = [*_normal(4, 30), math.nan, None, math.inf, -math.inf]
    v = judge(base, exp)
    assert v.experiment.nan_removed == 4 and v.experiment.n == 30 and v.experiment.n_raw == 34
    assert v.classification == "Pass"
    # if NaN became 0 a zero-heavy experiment would look Low; removed, it is the same as before
    assert v.experiment.median == pytest.approx(float(np.median(_normal(4, 30))))


def test_zero_baseline_does_not_let_errors_pass() -> None:
    base = [0.0] * 30
    exp = [0.0] * 14 + [0.004, 0.01, 0.02, 0.005, 0.003, 0.01, 0.02, 0.01] * 2  # 16 of 30 > 0
    v = judge(base, exp, direction="up")
    assert v.classification == "High" and v.failed
    assert v.effect is None and v.effect_unbounded
    # and the same with both sides at zero: nothing changed
    assert judge(base, [0.0] * 30).classification == "Pass"


def test_thinning_reports_the_effective_n() -> None:
    v = judge(_normal(1, 40), _normal(2, 60), thin=5)
    assert (v.baseline.n_raw, v.baseline.n, v.experiment.n, v.thin) == (40, 8, 12, 5)
    v = judge(_normal(1, 20), _normal(2, 20), thin=5)  # 4 a side after thinning
    assert v.classification == "Inconclusive" and "thinning 1 in 5" in v.reason


def test_thinning_step_from_the_guard() -> None:
    assert thinning_step({"source": "http", "window_s": 5.0}, 1.0) == 5
    assert thinning_step({"source": "http", "window_s": 5.0}, 2.0) == 3
    q = 'sum(rate(x{code=~"5.."}[1m])) / sum(rate(x[30s]))'
    assert thinning_step({"source": "prometheus", "query": q}, 15.0) == 4
    assert thinning_step({"source": "prometheus", "query": "up"}, 15.0) == 1
    assert thinning_step({"source": "python"}, 1.0) == 1
    assert thinning_step({"source": "http", "window_s": 5.0, "anomaly": {"thin": 2}}, 1.0) == 2


def test_direction_of_the_guard() -> None:
    assert direction_of({"max": 500}) == "up"
    assert direction_of({"min": 0.99}) == "down"
    assert direction_of({"max": 500, "anomaly": {"direction": "both"}}) == "both"


def _guard(name: str, **more: object) -> dict[str, object]:
    return {"name": name, "source": "python", "max": 1.0, **more}


def test_run_score_and_verdict() -> None:
    same = (_normal(1, 40), _normal(2, 40))
    shifted = (_normal(3, 40), _normal(4, 40, mean=80.0))
    few = ([1.0, 2.0], [1.0, 2.0])
    nothing: tuple[list[float], list[float]] = ([1.0] * 10, [])

    run = analyse_run([(_guard("a"), *same), (_guard("b"), *same)], interval_s=1.0)
    assert (run.score, run.verdict) == (100.0, "pass")

    run = analyse_run([(_guard("a"), *same), (_guard("b"), *shifted)], interval_s=1.0)
    assert (run.score, run.verdict) == (50.0, "fail")
    assert "b changed under fault" in run.reason

    run = analyse_run([(_guard("a"), *same), (_guard("b", weight=3), *shifted)], interval_s=1.0)
    assert run.score == 25.0  # weights: 1 × 1 + 3 × 0 over 4

    run = analyse_run([(_guard("a"), *same), (_guard("b"), *few)], interval_s=1.0)
    assert (run.score, run.verdict) == (75.0, "inconclusive")  # Inconclusive counts half

    run = analyse_run(
        [(_guard("a"), *same), (_guard("b"), *same), (_guard("c"), *nothing)], interval_s=1.0
    )
    assert run.score == pytest.approx(200 / 3) and run.verdict == "inconclusive"

    # half the weight without data: 0, never a success
    run = analyse_run([(_guard("a"), *same), (_guard("b"), *nothing)], interval_s=1.0)
    assert (run.score, run.verdict) == (0.0, "nodata")

    run = analyse_run([], interval_s=1.0)
    assert (run.score, run.verdict) == (0.0, "nodata")

    run = analyse_run([(_guard("a"), [1.0] * 10, [])], interval_s=1.0, fault_window=False)
    assert (run.score, run.verdict) == (None, "nodata")


def test_run_as_dict_is_strict_json() -> None:
    import json

    run = analyse_run([(_guard("errors"), [0.0] * 30, [0.0] * 10 + [0.02] * 20)], interval_s=1.0)
    text = json.dumps(run.as_dict(), allow_nan=False)  # no NaN or Infinity in the journal
    data = json.loads(text)
    assert data["verdict"] == "fail" and data["metrics"][0]["classification"] == "High"
    assert data["metrics"][0]["guard"] == "errors"


def test_run_reason_counts_what_could_not_be_judged() -> None:
    same = (_normal(1, 40), _normal(2, 40))
    run = analyse_run(
        [(_guard("a"), *same), (_guard("b"), [1.0, 2.0], [1.0]), (_guard("c"), *same)],
        interval_s=1.0,
    )
    assert run.reason == "2 of 3 metrics like the baseline, 1 Inconclusive"
