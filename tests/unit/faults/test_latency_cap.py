"""The connection cap of a latency proxy, alone and across forked processes, and the lateness
histograms that process 0 sums from its siblings."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from chaosguard.faults.latency._cap import LocalCap, SharedCap
from chaosguard.faults.latency._toxics import Lateness


def test_a_local_cap_admits_up_to_its_limit_and_counts_bursts_of_refusals() -> None:
    cap = LocalCap(2)
    assert cap.admit() and cap.admit() and not cap.admit()
    assert cap.first_refusal() and not cap.first_refusal()  # one burst: logged once
    cap.leave()
    assert cap.admit()  # admitted again: the burst is over
    assert not cap.admit() and cap.first_refusal()


def _in_child(cap: SharedCap, slot: int, admits: int) -> int:
    """Fork a process that takes ``slot`` and admits ``admits`` times; how many it got."""
    pid = os.fork()
    if pid == 0:
        cap.slot = slot
        os._exit(sum(cap.admit() for _ in range(admits)))
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_shared_cap_counts_the_connections_of_every_process() -> None:
    cap = SharedCap(3, processes=2)
    assert cap.admit() and cap.admit()  # process 0: two
    assert _in_child(cap, 1, admits=3) == 1  # process 1: only one more fits
    assert cap.total() == 3 and not cap.admit()
    assert cap.first_refusal()
    assert _in_child(cap, 1, admits=1) == 0  # still full, from the other side too
    cap.clear(1)  # process 1 is gone, and its connection with it
    assert cap.total() == 2 and cap.admit()
    cap.leave()
    assert cap.total() == 2


def test_a_burst_of_refusals_is_one_burst_whichever_process_refuses() -> None:
    cap = SharedCap(1, processes=2)
    assert cap.admit() and not cap.admit()
    assert cap.first_refusal()
    pid = os.fork()
    if pid == 0:
        cap.slot = 1
        os._exit(0 if not cap.admit() and not cap.first_refusal() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0  # the sibling's refusal is the same burst


@settings(max_examples=100, deadline=None)
@given(
    parts=st.lists(
        st.lists(st.floats(-0.001, 0.2, allow_nan=False), max_size=40), min_size=1, max_size=4
    )
)
def test_summed_histograms_are_the_histogram_of_all_the_readings(parts: list[list[float]]) -> None:
    whole, merged = Lateness(), Lateness()
    for values in parts:
        part = Lateness()
        for late in values:
            part.record(late)
            whole.record(late)
        merged.absorb(part.export())
    assert merged.summary() == whole.summary()
