"""Objective and ``for`` semantics of SLO checks (pure logic, injected clock)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from chaosguard.slo.base import Observation, SourceUnreadable
from chaosguard.slo.check import SloCheck
from chaosguard.slo.spec import GuardSpec, PythonGuard

ADAPTER = TypeAdapter(GuardSpec)


def _check(for_s: float = 0.0, fail_closed: bool = True, **bound: float) -> SloCheck:
    spec = PythonGuard(name="g", source="python", func="m:f", for_s=for_s, **bound)
    return SloCheck(spec, source=None, fail_closed=fail_closed)  # type: ignore[arg-type]


def test_max_and_min_objectives() -> None:
    assert _check(max=500).evaluate(501, None, None, now=0).breached
    assert not _check(max=500).evaluate(500, None, None, now=0).violating
    assert _check(min=0.999).evaluate(0.998, None, None, now=0).breached
    assert not _check(min=0.999).evaluate(0.9995, None, None, now=0).violating


def test_for_duration_needs_an_uninterrupted_violation() -> None:
    c = _check(for_s=3, max=1)
    assert not c.evaluate(2, 100.0, None, now=100.0).breached
    assert not c.evaluate(2, 102.0, None, now=102.0).breached
    assert not c.evaluate(0, 102.5, None, now=102.5).violating  # resets the timer
    assert not c.evaluate(2, 103.0, None, now=103.0).breached
    assert c.evaluate(2, 106.0, None, now=106.0).breached


def test_for_counts_from_the_first_violating_evaluation_not_the_sample_time() -> None:
    c = _check(for_s=2, max=1)
    assert not c.evaluate(5, 10.0, None, now=12.5).breached  # an old sample does not shorten `for`
    assert c.evaluate(5, 11.0, None, now=14.5).breached


def test_unreadable_fails_closed_unless_told_otherwise() -> None:
    assert _check(max=1).evaluate(None, None, "down", now=0).breached
    ignoring = _check(max=1, fail_closed=False).evaluate(None, None, "down", now=0)
    assert not ignoring.violating and ignoring.error == "down"


class _Source:
    def __init__(self, result: object) -> None:
        self.result = result

    def read(self, timeout_s: float) -> Observation:
        if isinstance(self.result, BaseException):
            raise self.result
        return Observation(float(self.result), 1.0)  # type: ignore[arg-type]

    def describe(self) -> str:
        return "test"


@pytest.mark.parametrize("error", [SourceUnreadable("stale"), RuntimeError("bug"), TimeoutError()])
def test_any_read_failure_is_unreadable(error: BaseException) -> None:
    spec = PythonGuard(name="g", source="python", func="m:f", max=1)
    reading = SloCheck(spec, _Source(error)).read(0.1)
    assert reading.value is None and reading.breached and reading.error


@given(
    st.dictionaries(
        st.sampled_from(
            ["name", "source", "max", "min", "for_s", "url", "query", "func", "metric", "bogus"]
        ),
        st.one_of(st.none(), st.text(max_size=10), st.floats(allow_nan=True), st.integers()),
    )
)
def test_guard_specs_validate_or_fail_with_a_validation_error(doc: dict) -> None:
    try:
        spec = ADAPTER.validate_python(doc)
    except ValidationError:
        return
    assert (spec.max is None) != (spec.min is None)


# -- anomaly guards --------------------------------------------------------------------------------
OLD_READING_KEYS = ["guard", "read_at", "value", "source_at", "violating", "breached", "error"]


def _anomaly_check(**spec: object) -> SloCheck:
    from chaosguard.slo.build import build_detector

    guard = PythonGuard(
        name="a", source="python", func="m:f", anomaly={"detector": "zscore", **spec}
    )
    return SloCheck(guard, None, detector=build_detector(guard, 1.0))  # type: ignore[arg-type]


def _normal(n: int = 40, seed: int = 7) -> list[float]:
    import random

    rng = random.Random(seed)
    return [40.0 + rng.gauss(0, 2) for _ in range(n)]


def test_a_guard_without_anomaly_reads_as_before() -> None:
    reading = _check(max=1).evaluate(0.5, 1.0, None, now=2.0)
    assert list(reading.as_dict())[: len(OLD_READING_KEYS)] == OLD_READING_KEYS
    assert reading.as_dict() == {
        "guard": "g",
        "read_at": 2.0,
        "value": 0.5,
        "source_at": 1.0,
        "violating": False,
        "breached": False,
        "error": None,
        "anomalous": None,
        "expected": None,
        "band_low": None,
        "band_high": None,
    }


def test_the_detector_judges_only_after_the_baseline_and_breaches_once_confirmed() -> None:
    check = _anomaly_check(confirm=2, baseline_readings=30)
    before = check.evaluate(1e6, None, None, now=0)  # no baseline yet: nothing to judge against
    assert not before.violating and before.anomalous is None
    check.start_learning()
    for i, value in enumerate(_normal()):
        assert not check.evaluate(value, None, None, now=i).violating
    baseline = check.fit_baseline()
    assert baseline.n == 40 and not check.learning
    normal = check.evaluate(40.5, None, None, now=50)
    assert normal.anomalous is False and not normal.violating and not normal.breached
    assert normal.expected is not None and normal.band_low is not None
    assert normal.band_low < 40.5 < (normal.band_high or 0)
    first = check.evaluate(400.0, None, None, now=51)
    assert first.anomalous and first.violating and not first.breached  # confirm: 2
    second = check.evaluate(400.0, None, None, now=52)
    assert second.anomalous and second.breached
    assert set(OLD_READING_KEYS) < set(second.as_dict())


def test_a_bound_still_breaches_beside_the_detector() -> None:
    check = _anomaly_check(baseline_readings=30)
    guard = check.spec.model_copy(update={"max": 45.0})
    check.spec = guard
    check.fit_baseline(_normal())
    within_band_over_bound = check.evaluate(46.0, None, None, now=0)
    assert within_band_over_bound.breached  # for_s 0: the SLO breaches at once


def test_learning_keeps_settled_finite_values_and_notes_the_rest() -> None:
    check = _anomaly_check(baseline_readings=30)
    check.start_learning()
    check.evaluate(300.0, None, None, now=0, settled=False)  # a warming-up window: never learned
    check.evaluate(41.0, None, None, now=1)
    assert check.learned == [41.0] and check.learn_errors == []
    unreadable = check.evaluate(None, None, "connection refused", now=2)
    assert unreadable.violating and check.learn_errors == ["connection refused"]
    nan = check.evaluate(float("nan"), None, None, now=3)
    assert nan.value is None and nan.violating and nan.error == "not a finite number: nan"
    assert check.learned == [41.0] and len(check.learn_errors) == 2


def test_too_few_baseline_values_refuse_with_the_numbers() -> None:
    from chaosguard.errors import Refused

    check = _anomaly_check(baseline_readings=30)
    with pytest.raises(Refused, match="30") as err:
        check.fit_baseline(_normal(12))
    assert "12" in str(err.value)


def test_nan_is_never_a_healthy_number() -> None:
    reading = _check(max=1).evaluate(float("nan"), None, None, now=0)
    assert reading.value is None and reading.violating and reading.breached


def test_thinning_follows_the_source() -> None:
    from chaosguard.slo.build import source_thin
    from chaosguard.slo.spec import HttpGuard, PrometheusGuard

    http = HttpGuard(name="h", source="http", url="http://127.0.0.1:9/", window_s=3, max=1)
    assert source_thin(http, 0.5) == 6 and source_thin(http, 1.0) == 3
    assert source_thin(http, 5.0) == 1
    prom = PrometheusGuard(
        name="p",
        source="prometheus",
        url="http://x:9090",
        query="rate(a[1m]) / rate(b[30s])",
        max=1,
    )
    assert source_thin(prom, 1.0) == 60 and source_thin(prom, 15.0) == 4
    bare = prom.model_copy(update={"query": "up"})
    assert source_thin(bare, 1.0) == 1
    assert source_thin(PythonGuard(name="y", source="python", func="m:f", max=1), 0.1) == 1
