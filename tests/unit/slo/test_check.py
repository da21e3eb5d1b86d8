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
