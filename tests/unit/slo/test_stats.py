"""Percentiles and summaries (pure logic)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaosguard.slo.http.stats import Sample, percentile, summarize


def test_nearest_rank_matches_the_definition() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 95) == 7.0


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=200), st.floats(0.1, 100))
def test_percentile_is_a_member_and_monotonic(values: list[float], pct: float) -> None:
    p = percentile(values, pct)
    assert p in values
    assert percentile(values, min(100.0, pct + 1)) >= p


def test_summary_counts_errors_and_keeps_slow_failures() -> None:
    samples = [Sample(0, 10, 200, False)] * 98 + [Sample(0, 2000, 0, True)] * 2
    stats = summarize(samples)
    assert stats.requests == 100 and stats.errors == 2 and stats.error_ratio == 0.02
    assert stats.p95_ms == 10 and stats.p99_ms == 2000 and stats.max_ms == 2000


def test_empty_is_an_error() -> None:
    with pytest.raises(ValueError):
        summarize([])
