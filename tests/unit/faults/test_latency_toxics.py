"""The arithmetic of a toxic: due times keep order, stay within latency ± jitter, pace bandwidth."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from chaosguard.faults import FaultKind, kind
from chaosguard.faults.latency._toxics import SLICE_MIN, DelayLine, Lateness, should_reset
from chaosguard.faults.latency.spec import Spec, Toxic, ToxicChange

ARRIVALS = st.lists(
    st.tuples(st.floats(0.0, 0.05), st.integers(1, 70_000)), min_size=1, max_size=40
)


@settings(max_examples=200, deadline=None)
@given(arrivals=ARRIVALS, latency=st.floats(0, 500), jitter=st.floats(0, 300), seed=st.integers())
def test_due_times_keep_order_and_stay_within_latency_plus_jitter(
    arrivals: list[tuple[float, int]], latency: float, jitter: float, seed: int
) -> None:
    toxic = Toxic(latency_ms=latency, jitter_ms=jitter)
    line = DelayLine(random.Random(seed))
    now, last = 100.0, 0.0
    for gap, size in arrivals:
        now += gap
        ((due, length),) = line.plan(toxic, now, size)
        assert length == size
        assert due >= last  # never before the chunk ahead of it
        assert due >= now + max(latency - jitter, 0.0) / 1000 - 1e-9
        assert due <= max(last, now + (latency + jitter) / 1000) + 1e-9
        last = due


def test_delay_is_counted_from_each_chunks_arrival() -> None:
    line = DelayLine(random.Random(1))
    toxic = Toxic(latency_ms=100)
    first = line.plan(toxic, 10.0, 10)[0][0]
    second = line.plan(toxic, 10.02, 10)[0][0]
    assert abs(first - 10.1) < 1e-9 and abs(second - 10.12) < 1e-9  # 20 ms apart, not 100


def test_undelayed_stream_still_waits_behind_queued_chunks() -> None:
    line = DelayLine(random.Random(1))
    delayed = line.plan(Toxic(latency_ms=300), 0.0, 1)[0][0]
    assert line.plan(None, 0.01, 1)[0][0] == delayed
    assert line.plan(None, 1.0, 1)[0][0] == 1.0


@settings(max_examples=100, deadline=None)
@given(size=st.integers(1, 300_000), kbps=st.integers(1, 100_000), latency=st.floats(0, 100))
def test_bandwidth_slices_cover_the_chunk_at_the_capped_rate(
    size: int, kbps: int, latency: float
) -> None:
    line = DelayLine(random.Random(0))
    slices = line.plan(Toxic(latency_ms=latency, bandwidth_kbps=kbps), 0.0, size)
    assert sum(n for _, n in slices) == size
    assert all(n >= min(SLICE_MIN, size) or i == len(slices) - 1 for i, (_, n) in enumerate(slices))
    dues = [d for d, _ in slices]
    assert dues == sorted(dues)
    assert abs(dues[-1] - (latency / 1000 + size / (kbps * 1024))) < 1e-6


def test_reset_odds() -> None:
    rng = random.Random(3)
    assert not any(should_reset(Toxic(), rng) for _ in range(1000))
    assert all(should_reset(Toxic(reset_probability=1.0), rng) for _ in range(1000))
    hits = sum(should_reset(Toxic(reset_probability=0.3), rng) for _ in range(4000))
    assert 1000 < hits < 1400


def test_both_latency_kinds_meet_the_fault_contract() -> None:
    specs = {
        "latency-proxy": Spec(name="p", listen="127.0.0.1:0", upstream="127.0.0.1:9"),
        "latency-toxic": ToxicChange(proxy="p", proxy_record="r.1", control="/c", toxic=Toxic()),
    }
    for name, spec in specs.items():
        k = kind(name)
        assert isinstance(k, FaultKind) and k.name == name and isinstance(spec, k.Spec)
        assert k.revertible(spec) is True


def test_lateness_histogram_summarises_release_delays() -> None:
    late = Lateness()
    assert late.summary() == {"count": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    for ms in [-0.3] * 10 + [0.05] * 80 + [2.0] * 9 + [250.0]:
        late.record(ms / 1000)
    summary = late.summary()
    assert summary["count"] == 100 and summary["max_ms"] == 250.0
    assert summary["p50_ms"] == 0.1  # bucket [0, 0.1) ms
    assert 2.0 <= summary["p99_ms"] <= 2.1
    assert late.percentile(100) == 250.0


@settings(max_examples=100, deadline=None)
@given(arrivals=ARRIVALS, latency=st.floats(0, 500), jitter=st.floats(0, 300), seed=st.integers())
def test_next_due_is_the_single_slice_of_plan(
    arrivals: list[tuple[float, int]], latency: float, jitter: float, seed: int
) -> None:
    toxic = Toxic(latency_ms=latency, jitter_ms=jitter)
    fast, planned = DelayLine(random.Random(seed)), DelayLine(random.Random(seed))
    now = 100.0
    for i, (gap, size) in enumerate(arrivals):
        now += gap
        which = None if i % 5 == 4 else toxic  # undelayed chunks still queue behind delayed ones
        ((due, _),) = planned.plan(which, now, size)
        assert fast.next_due(which, now) == due
        assert fast.last_due == planned.last_due


def test_lateness_reset_starts_a_fresh_measurement() -> None:
    late = Lateness()
    late.record(0.030)
    late.reset()
    late.record(0.001)
    assert late.summary() == {"count": 1, "p50_ms": 1.0, "p99_ms": 1.0, "max_ms": 1.0}
