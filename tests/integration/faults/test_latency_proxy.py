"""The latency proxy's effect on real traffic: one-way delays per direction, jitter, order, no
head-of-line blocking, bandwidth cap, resets, live toxic changes. Tolerances are generous on the
slow side (the machine may be busy); a chunk is never early by more than the engine's 0.5 ms slack.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from chaosguard import faults
from chaosguard.actions import latency as actions
from chaosguard.faults.latency import control
from chaosguard.faults.latency.kind import control_of, status
from tests.integration.faults.test_latency_support import (
    address,
    listening_socket,
    one_way_ms,
    recv_exact,
    start_link,
    upstream_address,
)


@pytest.fixture()
def upstream() -> Iterator[socket.socket]:
    """The stand-in service: a listening loopback socket."""
    yield from listening_socket()


SLOW = 60.0  # ms of scheduling noise tolerated on a busy 2-core machine
EARLY = 1.0  # ms a chunk may leave before due (engine slack + clock rounding)


@pytest.mark.parametrize(
    ("direction", "up_ms", "down_ms"),
    [
        ("both", 60, 60),
        ("upstream", 60, 0),
        ("downstream", 0, 60),
    ],
)
def test_latency_applies_to_the_chosen_direction_only(
    upstream, direction: str, up_ms: float, down_ms: float
) -> None:
    link = start_link(upstream, latency_ms=60, direction=direction)
    try:
        for _ in range(3):
            up = one_way_ms(link.client, link.server)
            down = one_way_ms(link.server, link.client)
            assert up_ms - EARLY <= up <= up_ms + SLOW * (1 if up_ms else 0.5)
            assert down_ms - EARLY <= down <= down_ms + SLOW * (1 if down_ms else 0.5)
    finally:
        link.close()


def test_jitter_stays_within_bounds_and_varies(upstream) -> None:
    link = start_link(upstream, latency_ms=40, jitter_ms=20, direction="downstream")
    try:
        samples = [one_way_ms(link.server, link.client) for _ in range(15)]
    finally:
        link.close()
    assert min(samples) >= 20 - EARLY
    assert max(samples) <= 60 + SLOW
    assert max(samples) - min(samples) > 3  # 15 uniform draws over 40 ms do not land within 3 ms


def test_order_is_kept_under_heavy_jitter(upstream) -> None:
    link = start_link(upstream, latency_ms=20, jitter_ms=20, direction="downstream")
    try:
        chunks = [f"{i:05d}".encode() * 20 for i in range(80)]
        for chunk in chunks:
            link.server.sendall(chunk)
            time.sleep(0.002)
        assert recv_exact(link.client, sum(map(len, chunks))) == b"".join(chunks)
    finally:
        link.close()


def test_no_head_of_line_blocking(upstream) -> None:
    link = start_link(upstream, latency_ms=100, direction="downstream")
    try:
        start = time.perf_counter()
        link.server.sendall(b"A" * 10)
        time.sleep(0.020)
        sent_b = time.perf_counter()
        link.server.sendall(b"B" * 10)
        assert recv_exact(link.client, 10) == b"A" * 10
        got_a = time.perf_counter()
        assert recv_exact(link.client, 10) == b"B" * 10
        got_b = time.perf_counter()
    finally:
        link.close()
    assert (got_a - start) * 1000 >= 100 - EARLY
    assert (got_b - sent_b) * 1000 >= 100 - EARLY
    gap = (got_b - got_a) * 1000
    assert 10 <= gap <= 70, f"chunks sent 20 ms apart arrived {gap:.1f} ms apart"


def test_bandwidth_cap_paces_the_capped_direction(upstream) -> None:
    link = start_link(upstream, bandwidth_kbps=32, direction="downstream")
    try:
        payload = bytes(range(256)) * 64  # 16 KiB at 32 KiB/s: about 0.5 s
        start = time.perf_counter()
        link.server.sendall(payload)
        assert recv_exact(link.client, len(payload)) == payload
        elapsed = time.perf_counter() - start
    finally:
        link.close()
    assert elapsed >= 0.45  # held back to the cap (16 KiB at 32 KiB/s), and delivered whole above


def test_reset_probability_one_resets_every_new_connection(upstream) -> None:
    proxy = actions.start_latency_proxy(
        "r", "127.0.0.1:0", upstream_address(upstream), reset_probability=1.0
    )
    upstream.accept()[0].close()  # the reachability check
    for _ in range(3):
        # The reset may surface on connect already, or on the first read or write.
        with (
            pytest.raises(ConnectionResetError),
            socket.create_connection(address(proxy["listen"]), timeout=5) as client,
        ):
            client.sendall(b"hello")
            if not client.recv(10):
                pytest.fail("got a clean EOF instead of a reset")
    upstream.settimeout(0.2)
    with pytest.raises(TimeoutError):
        upstream.accept()  # nothing was forwarded


def test_toxic_changes_on_a_live_connection_without_dropping_it(upstream) -> None:
    link = start_link(upstream, direction="downstream")
    try:
        assert one_way_ms(link.server, link.client) < SLOW / 2
        out = actions.set_latency("p", latency_ms=80, direction="downstream")
        assert out["toxic"]["latency_ms"] == 80 and out["record"] == link.proxy["record"]
        assert 80 - EARLY <= one_way_ms(link.server, link.client) <= 80 + SLOW
        assert one_way_ms(link.client, link.server) < SLOW / 2  # upstream untouched
        out = actions.remove_latency("p")
        assert out["toxic"]["latency_ms"] == 0
        assert one_way_ms(link.server, link.client) < SLOW / 2
        assert one_way_ms(link.client, link.server) < SLOW / 2
    finally:
        link.close()


def test_data_held_back_keeps_its_delay_and_order_after_a_change(upstream) -> None:
    link = start_link(upstream, latency_ms=300, direction="downstream")
    try:
        start = time.perf_counter()
        link.server.sendall(b"first")
        actions.set_latency("p", latency_ms=0)
        link.server.sendall(b"second")
        assert recv_exact(link.client, 11) == b"firstsecond"
        assert (time.perf_counter() - start) * 1000 >= 300 - EARLY
    finally:
        link.close()


def test_half_close_and_close_pass_through_after_the_delayed_data(upstream) -> None:
    link = start_link(upstream, latency_ms=30, direction="both")
    try:
        link.client.sendall(b"request")
        link.client.shutdown(socket.SHUT_WR)
        assert recv_exact(link.server, 7) == b"request"
        assert link.server.recv(10) == b""  # EOF forwarded after the data
        link.server.sendall(b"response")
        link.server.close()
        assert recv_exact(link.client, 8) == b"response"
        assert link.client.recv(10) == b""
    finally:
        link.close()


def test_a_stalled_receiver_slows_the_sender_and_no_byte_is_lost(upstream) -> None:
    link = start_link(upstream, latency_ms=5, direction="both")
    data = os.urandom(1 << 20) * 32  # 32 MiB; the proxy holds at most ~4 MiB per direction
    sender = threading.Thread(
        target=lambda: (link.client.sendall(data), link.client.shutdown(socket.SHUT_WR))
    )
    sender.start()
    try:
        record = next(
            r for r in faults.open_records("latency-proxy") if r.id == link.proxy["record"]
        )
        time.sleep(0.5)  # the upstream side reads nothing meanwhile
        assert status(record)["bytes_upstream"] < len(data) // 2
        digest, size = hashlib.sha256(), 0
        while chunk := link.server.recv(1 << 20):
            digest.update(chunk)
            size += len(chunk)
        assert size == len(data) and digest.digest() == hashlib.sha256(data).digest()
    finally:
        sender.join(timeout=10)
        link.close()


def test_status_reports_release_lateness_and_tuning_and_can_start_the_histogram_over(
    upstream,
) -> None:
    link = start_link(upstream, latency_ms=20, direction="downstream")
    try:
        for _ in range(5):  # five round trips through the schedule
            one_way_ms(link.server, link.client)
        record = next(
            r for r in faults.open_records("latency-proxy") if r.id == link.proxy["record"]
        )
        seen = control.request(control_of(record), {"op": "get", "reset": True})
        assert seen["lateness"]["count"] >= 5
        assert seen["tuning"] == {"short_slice": False}  # the default: the kernel's own slice
        after = status(record)["lateness"]
        assert after["count"] == 0  # reset after the reply above
        one_way_ms(link.server, link.client)
        assert status(record)["lateness"]["count"] >= 1
    finally:
        link.close()
