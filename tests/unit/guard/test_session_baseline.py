"""The baseline phase (:func:`chaosguard.guard.baseline.learn_baselines`): ticks at the interval
until each anomaly guard has its readings, fails closed with the numbers needed and had."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from chaosguard.errors import Refused
from chaosguard.guard.baseline import anomaly_reason, learn_baselines
from chaosguard.guard.watcher import Watcher
from chaosguard.slo.base import Observation, SloSource
from chaosguard.slo.build import build_detector
from chaosguard.slo.check import Reading, SloCheck
from chaosguard.slo.spec import PythonGuard


class _Series(SloSource):
    """A source replaying numbers (a fake: what a real source reads is not the point here);
    ``settled=False`` plays a sampler whose window never fills."""

    def __init__(self, values: list[float], settled: bool = True) -> None:
        self.values = list(values)
        self.settled = settled
        self.reads = 0

    def read(self, timeout_s: float) -> Observation:
        value = self.values[min(self.reads, len(self.values) - 1)]
        self.reads += 1
        return Observation(value, time.time(), settled=self.settled)

    def describe(self) -> str:
        return "series"


def _check(source: SloSource, readings: int = 10, **bound: float) -> SloCheck:
    spec = PythonGuard(
        name="g",
        source="python",
        func="m:f",
        anomaly={"detector": "zscore", "baseline_readings": readings},
        **bound,
    )
    return SloCheck(spec, source, detector=build_detector(spec, 0.2))


def _refuse_violated(readings: list[Reading], when: str) -> None:
    bad = [r for r in readings if r.violating]
    if bad:
        raise Refused(f"SLO '{bad[0].guard}' is already breached {when}")


def _learn(*checks: SloCheck, into: dict[str, dict[str, Any]] | None = None) -> None:
    watcher = Watcher(list(checks), 0.2, lambda readings: None)
    learn_baselines(list(checks), watcher, 0.2, _refuse_violated, {} if into is None else into)


def _normal(n: int) -> list[float]:
    rng = random.Random(3)
    return [40 + rng.gauss(0, 1) for _ in range(n)]


def test_the_baseline_is_learned_from_the_guards_own_readings() -> None:
    source = _Series(_normal(40))
    check = _check(source, readings=12)
    into: dict[str, dict[str, Any]] = {}
    _learn(check, into=into)
    assert source.reads == 12  # one tick per reading, no more
    assert check.baseline is not None and check.baseline.n == 12
    assert into["g"]["learned_from"] == "readings" and into["g"]["n"] == 12
    assert into["g"]["started_at"] <= into["g"]["ended_at"]
    assert check.evaluate(40.0, None, None).anomalous is False


def test_a_source_that_never_settles_refuses_after_the_bounded_wait() -> None:
    check = _check(_Series(_normal(40), settled=False), readings=10)
    with pytest.raises(Refused, match=r"^guard 'g': the baseline needs 10 readings, had 0 after "):
        _learn(check)
    assert check.baseline is None


def test_a_guard_violated_while_learning_refuses() -> None:
    check = _check(_Series([*_normal(3), 900.0, *_normal(20)]), readings=10, max=500)
    with pytest.raises(Refused, match="while the baseline was learned, before any fault"):
        _learn(check)


def test_a_guard_without_anomaly_is_not_waited_for() -> None:
    plain = SloCheck(PythonGuard(name="p", source="python", func="m:f", max=1), _Series([0.5]))
    _learn(plain)  # returns at once: nothing to learn
    assert plain.baseline is None and plain.source.reads == 0  # type: ignore[attr-defined]


def test_the_breach_reason_of_an_anomaly_says_band_and_expected() -> None:
    check = _check(_Series(_normal(40)), readings=12)
    _learn(check)
    check.evaluate(400.0, None, None)
    reading = check.evaluate(400.0, None, None)
    assert reading.breached
    reason = anomaly_reason(check, reading)
    assert reason.startswith("anomaly confirmed (zscore): 400 outside the normal band [")
    assert "(expected 40." in reason and "2 anomalous checks in a row" in reason
