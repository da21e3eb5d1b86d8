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


def _check(
    source: SloSource, readings: int = 10, anomaly: dict[str, Any] | None = None, **bound: float
) -> SloCheck:
    """A zscore guard that learns ``readings`` (``baseline_effective: null``, unless ``anomaly``
    says otherwise: the tests of ``auto`` say so)."""
    block = {"detector": "zscore", "baseline_readings": readings, "baseline_effective": None}
    spec = PythonGuard(
        name="g", source="python", func="m:f", anomaly=block | (anomaly or {}), **bound
    )
    return SloCheck(spec, source, detector=build_detector(spec, 0.2))


def _refuse_violated(readings: list[Reading], when: str) -> None:
    bad = [r for r in readings if r.violating]
    if bad:
        raise Refused(f"SLO '{bad[0].guard}' is already breached {when}")


def _learn(
    *checks: SloCheck, into: dict[str, dict[str, Any]] | None = None, interval_s: float = 0.2
) -> None:
    watcher = Watcher(list(checks), interval_s, lambda readings: None)
    learn_baselines(
        list(checks), watcher, interval_s, _refuse_violated, {} if into is None else into
    )


def _normal(n: int) -> list[float]:
    rng = random.Random(3)
    return [40 + rng.gauss(0, 1) for _ in range(n)]


def _ar1(n: int, rho: float, seed: int = 3) -> list[float]:
    """Readings with lag-1 autocorrelation ``rho`` (marginal sd 4 around 40)."""
    rng, e, out = random.Random(seed), 0.0, []
    for _ in range(n):
        e = rho * e + rng.gauss(0, (1 - rho * rho) ** 0.5)
        out.append(40 + 4 * e)
    return out


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


def test_baseline_effective_learns_until_the_readings_are_worth_enough() -> None:
    source = _Series(_ar1(400, 0.8))
    check = _check(source, readings=20, anomaly={"baseline_effective": 12})
    into: dict[str, dict[str, Any]] = {}
    _learn(check, into=into, interval_s=0.02)
    assert check.baseline is not None
    learned = source.values[: check.baseline.n]
    worth = check.baseline_worth(learned)
    assert worth is not None and worth.n_eff >= 12  # stopped once worth enough ...
    before = check.baseline_worth(learned[:-1])
    assert before is not None and before.n_eff < 12  # ... and not one reading later
    assert check.baseline.n > 20 and source.reads == check.baseline.n
    assert into["g"]["baseline_effective"] == 12 and into["g"]["n"] == check.baseline.n


def test_baseline_effective_is_already_met_by_independent_readings() -> None:
    source = _Series(_normal(200))
    check = _check(source, readings=30, anomaly={"baseline_effective": 10})
    _learn(check, interval_s=0.02)
    assert check.baseline is not None and check.baseline.n == 30


def test_a_baseline_still_worth_too_little_at_its_most_readings_refuses() -> None:
    source = _Series([40 + 0.05 * i for i in range(400)])  # a slow drift: ρ ≈ 1
    check = _check(
        source,
        readings=20,
        anomaly={"baseline_effective": 30, "baseline_max_readings": 40},
    )
    with pytest.raises(Refused) as err:
        _learn(check, interval_s=0.02)
    message = str(err.value)
    assert message.startswith("guard 'g': the baseline's 40 readings worth about ")
    assert "independent ones (lag-1 autocorrelation 0.9" in message
    assert message.endswith(
        "it needs 30 (baseline_effective): raise baseline_max_readings (40) or learn from a "
        "range query"
    )
    assert check.baseline is None and source.reads == 40


def test_a_weak_baseline_is_reported_with_what_it_is_worth(
    caplog: pytest.LogCaptureFixture,
) -> None:
    weak = _check(_Series(_ar1(100, 0.9)), readings=20)
    with caplog.at_level("WARNING", logger="chaostoolkit"):
        _learn(weak, interval_s=0.02)
    assert weak.baseline is not None and weak.baseline.n_eff < 30
    [line] = [r.getMessage() for r in caplog.records if "baseline readings are worth" in r.message]
    assert line.startswith("chaosguard: guard 'g': its 20 baseline readings are worth about ")
    assert "a baseline worth fewer than 30 has a wide normal band" in line
    assert line.endswith("'baseline_effective: auto' learns until they are worth 30")


@pytest.mark.parametrize(
    ("values", "anomaly"),
    [
        (_normal(200), {}),
        (_ar1(400, 0.8), {"baseline_effective": 8}),
        (_ar1(600, 0.6), {"baseline_effective": "auto"}),
    ],
    ids=["independent-readings", "baseline_effective-given", "auto-reached"],
)
def test_a_baseline_worth_enough_or_asked_for_says_nothing(
    caplog: pytest.LogCaptureFixture, values: list[float], anomaly: dict[str, Any]
) -> None:
    check = _check(_Series(values), readings=60, anomaly=anomaly)
    with caplog.at_level("WARNING", logger="chaostoolkit"):
        _learn(check, interval_s=0.02)
    assert check.baseline is not None
    assert not [r for r in caplog.records if "baseline readings are worth" in r.message]


def test_auto_learns_on_until_the_readings_are_worth_30() -> None:
    source = _Series(_ar1(600, 0.6))
    check = _check(source, readings=60, anomaly={"baseline_effective": "auto"})
    into: dict[str, dict[str, Any]] = {}
    _learn(check, into=into, interval_s=0.01)
    assert check.baseline is not None and check.baseline.n > 60
    learned = source.values[: check.baseline.n]
    worth, before = check.baseline_worth(learned), check.baseline_worth(learned[:-1])
    assert worth is not None and before is not None and before.n_eff < 30 <= worth.n_eff
    assert into["g"]["baseline_effective"] == "auto" and source.reads == check.baseline.n
    assert into["g"]["short_of_effective"] is False


def test_auto_fits_at_once_and_warns_when_30_is_out_of_reach(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = _Series([40 + 0.05 * i for i in range(400)])  # a slow drift: ρ ≈ 1
    check = _check(source, readings=20, anomaly={"baseline_effective": "auto"})
    into: dict[str, dict[str, Any]] = {}
    with caplog.at_level("WARNING", logger="chaostoolkit"):
        _learn(check, into=into, interval_s=0.01)
    assert check.baseline is not None and check.baseline.n == 20 and source.reads == 20
    assert into["g"]["short_of_effective"] is True  # the journal says so too
    [line] = [r.getMessage() for r in caplog.records if "baseline readings are worth" in r.message]
    assert line.startswith("chaosguard: guard 'g': its 20 baseline readings are worth about 2 ")
    assert line.endswith(
        "30 would take about 300 readings, more than baseline_max_readings (200): raise it, or "
        "learn from a range query (baseline_range_s)"
    )


class _History(_Series):
    """A source with a range query (a fake Prometheus: the real one is in the integration tests)."""

    def history(self, range_s: float, step_s: float, timeout_s: float) -> list[float]:
        return self.values


def test_a_range_query_worth_little_is_fitted_and_reported_under_auto(
    caplog: pytest.LogCaptureFixture,
) -> None:
    drift = [40 + 0.05 * i for i in range(100)]
    auto = _check(_History(drift), readings=20, anomaly={"baseline_effective": "auto"})
    required = _check(_History(drift), readings=20, anomaly={"baseline_effective": 30})
    for check in (auto, required):
        object.__setattr__(check.spec.anomaly, "baseline_range_s", 100.0)
    with caplog.at_level("WARNING", logger="chaostoolkit"):
        _learn(auto)
    assert auto.baseline is not None and auto.baseline.n == 100
    [line] = [r.getMessage() for r in caplog.records if "baseline readings are worth" in r.message]
    assert line.endswith("widen baseline_range_s to about 1170 s")  # 100 readings worth 2.6
    with pytest.raises(Refused, match="widen baseline_range_s to about"):
        _learn(required)


class _Stalling(_Series):
    """Settled readings for the first ``good`` reads, then a window that never fills again."""

    def __init__(self, values: list[float], good: int) -> None:
        super().__init__(values)
        self.good = good

    def read(self, timeout_s: float) -> Observation:
        observation = super().read(timeout_s)
        return Observation(observation.value, observation.at, settled=self.reads <= self.good)


def test_readings_that_stop_while_it_learns_on_refuse_after_the_longer_wait() -> None:
    check = _check(
        _Stalling(_ar1(400, 0.8), good=60),
        readings=60,
        anomaly={"baseline_effective": 30, "baseline_max_readings": 100},
    )
    with pytest.raises(Refused) as err:
        _learn(check, interval_s=0.01)
    assert str(err.value).startswith("guard 'g': the baseline may learn up to 100 readings, had 60")
