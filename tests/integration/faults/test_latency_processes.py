"""A latency proxy of several processes (SO_REUSEPORT listeners, forked siblings): connections
spread over them, a live toxic change reaches every one before it is answered (and one that cannot
reach a process is an error, not a success), status sums them,
and no process outlives the proxy: not on stop, not when process 0 is SIGKILLed; a sibling that
dies alone is reported and the others serve on."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator

import pytest

from chaosguard import faults
from chaosguard.actions import latency as actions
from chaosguard.errors import InvalidArgument
from chaosguard.faults.latency import control
from chaosguard.faults.latency.kind import control_of, status
from chaosguard.faults.workers import log_path, record_processes
from tests.integration.faults.test_latency_support import (
    address,
    gone,
    listening_socket,
    one_way_ms,
    port_closed,
    upstream_address,
    wait_until,
)

PROCESSES = 3
#: With 3 processes, the odds that 24 connections all land on fewer than 3 are ~3 in 10^4.
CONNECTIONS = 24


@pytest.fixture()
def upstream() -> Iterator[socket.socket]:
    """The stand-in service: a listening loopback socket."""
    yield from listening_socket()


def _start(upstream: socket.socket, **toxic: object) -> dict:
    out = actions.start_latency_proxy(
        "fam", "127.0.0.1:0", upstream_address(upstream), processes=PROCESSES, **toxic
    )
    probe, _ = upstream.accept()  # the reachability check's connection
    probe.close()
    return out


def _pairs(upstream: socket.socket, listen: str, count: int) -> list[tuple[socket.socket, ...]]:
    pairs = []
    for _ in range(count):
        client = socket.create_connection(address(listen), timeout=5.0)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server, _ = upstream.accept()
        server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server.settimeout(5.0)
        pairs.append((client, server))
    return pairs


def _record(out: dict):
    return next(r for r in faults.open_records("latency-proxy") if r.id == out["record"])


def test_connections_spread_over_the_processes_and_a_change_reaches_all_of_them(
    upstream,
) -> None:
    out = _start(upstream)
    pairs = _pairs(upstream, out["listen"], CONNECTIONS)
    try:
        seen = status(_record(out))
        assert seen["processes"] == PROCESSES
        assert seen["active"] == CONNECTIONS
        assert all(p["active"] > 0 for p in seen["by_process"]), seen["by_process"]
        assert all(one_way_ms(server, client) < 40 for client, server in pairs)
        actions.set_latency("fam", latency_ms=60, direction="downstream")
        # answered only once every process has the toxic: every connection is slow at once
        assert all(one_way_ms(server, client) >= 59 for client, server in pairs)
        assert all(one_way_ms(client, server) < 40 for client, server in pairs)  # upstream: none
        seen = status(_record(out))
        assert seen["lateness"]["count"] >= CONNECTIONS  # the histograms of all processes
        assert seen["bytes_downstream"] >= 2 * 64 * CONNECTIONS
        actions.remove_latency("fam")
        assert all(one_way_ms(server, client) < 40 for client, server in pairs)
    finally:
        for pair in pairs:
            for sock in pair:
                sock.close()
        actions.stop_latency_proxy("fam")


def test_stop_ends_every_process(upstream) -> None:
    out = _start(upstream)
    pids = sorted(p.pid for p in record_processes(_record(out)))
    assert len(pids) == PROCESSES
    assert actions.stop_latency_proxy("fam")["outcome"] == "reverted"
    assert all(gone(pid) for pid in pids) and port_closed(out["listen"])


def test_siblings_die_with_process_0(upstream) -> None:
    out = _start(upstream)
    record = _record(out)
    first = int(record.handles["pid"])
    siblings = [p.pid for p in record_processes(record) if p.pid != first]
    assert len(siblings) == PROCESSES - 1
    os.kill(first, signal.SIGKILL)
    assert wait_until(lambda: all(gone(pid) for pid in siblings), timeout=2.0), (
        "a sibling outlived process 0"
    )
    assert wait_until(lambda: port_closed(out["listen"]), timeout=1.0)
    assert actions.stop_latency_proxy("fam")["outcome"] == "vanished"


def test_a_sibling_that_dies_is_reported_and_the_others_serve_on(upstream) -> None:
    out = _start(upstream, latency_ms=20, direction="downstream")
    record = _record(out)
    first = int(record.handles["pid"])
    victim = next(p.pid for p in record_processes(record) if p.pid != first)
    try:
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: status(record)["processes"] == PROCESSES - 1)
        assert log_path(record).read_text().count("is gone: it exited (signal SIGKILL)") == 1
        pairs = _pairs(upstream, out["listen"], 8)  # new connections go to the live processes
        assert all(one_way_ms(server, client) >= 19 for client, server in pairs)
        for pair in pairs:
            for sock in pair:
                sock.close()
    finally:
        assert actions.stop_latency_proxy("fam")["outcome"] == "reverted"
    assert gone(first)


def test_a_change_that_cannot_reach_every_process_is_not_reported_as_done(upstream) -> None:
    out = _start(upstream, latency_ms=20)
    record = _record(out)
    first = int(record.handles["pid"])
    before = status(record)["toxic"]
    stopped = next(p.pid for p in record_processes(record) if p.pid != first)
    os.kill(stopped, signal.SIGSTOP)  # alive, but it cannot take the toxic
    try:
        with pytest.raises(control.ControlError, match=f"pid {stopped}\\) did not answer"):
            control.request(control_of(record), {"op": "set", "toxic": {"latency_ms": 50}})
    finally:
        os.kill(stopped, signal.SIGCONT)
    # resumed, it answers the old request late: that answer is not taken for the next one's
    seen = status(record)
    assert seen["processes"] == PROCESSES and len(seen["by_process"]) == PROCESSES
    # all or none: the processes that took the change put the old toxic back, and the resumed
    # one read the change and the way back in order
    assert [p["toxic"] for p in seen["by_process"]] == [before] * PROCESSES
    assert before["latency_ms"] == 20
    assert actions.stop_latency_proxy("fam")["outcome"] == "reverted"
    assert gone(first) and gone(stopped)


def test_several_silent_processes_are_waited_for_together(upstream) -> None:
    out = _start(upstream)
    record = _record(out)
    first = int(record.handles["pid"])
    stopped = [p.pid for p in record_processes(record) if p.pid != first]
    assert len(stopped) == PROCESSES - 1 >= 2
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        # one wait for all of them: the error comes within the client's 3 s, not after 2 s each
        with pytest.raises(control.ControlError, match="keeps the previous toxic"):
            control.request(control_of(record), {"op": "set", "toxic": {"latency_ms": 50}})
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    assert [p["toxic"]["latency_ms"] for p in status(record)["by_process"]] == [0] * PROCESSES
    assert actions.stop_latency_proxy("fam")["outcome"] == "reverted"
    assert gone(first) and all(gone(pid) for pid in stopped)


@pytest.mark.parametrize("value", [-1, 17, 1000])
def test_a_process_count_out_of_range_is_a_one_line_error_and_starts_nothing(
    upstream, value: int
) -> None:
    with pytest.raises(InvalidArgument, match=r"'processes': use 0 .* or 1 to 16 \(got "):
        actions.start_latency_proxy(
            "fam", "127.0.0.1:0", upstream_address(upstream), processes=value
        )
    assert not faults.open_records("latency-proxy")
