"""Shared helpers of the latency proxy tests (no tests; named test_latency_* to stay with them).

A test owns both ends: an ``upstream`` listening socket and a client connected through the proxy, so
each direction can be timed on its own (one-way delays), with plain blocking sockets and no threads.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil

from chaosguard import faults
from chaosguard.actions import latency as actions

__all__ = [
    "Link",
    "address",
    "gone",
    "listening_socket",
    "one_way_ms",
    "port_closed",
    "recv_exact",
    "start_link",
    "upstream_address",
    "wait_until",
]


def address(text: str) -> tuple[str, int]:
    """``"host:port"`` → ``(host, port)``."""
    host, port = text.rsplit(":", 1)
    return host, int(port)


def listening_socket() -> Iterator[socket.socket]:
    """A listening socket on an ephemeral loopback port, standing in for the real service.

    Test modules wrap it in their own ``upstream`` fixture.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.settimeout(5.0)
    yield sock
    sock.close()


def upstream_address(sock: socket.socket) -> str:
    """``"host:port"`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"{host}:{port}"


def _nodelay(sock: socket.socket) -> socket.socket:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(5.0)
    return sock


@dataclass
class Link:
    """A proxy, a client connected through it, and the upstream side of that connection."""

    proxy: dict
    client: socket.socket
    server: socket.socket
    pid: int

    def close(self) -> None:
        """Close both ends."""
        self.client.close()
        self.server.close()


def start_link(upstream: socket.socket, name: str = "p", **toxic: object) -> Link:
    """Start a proxy to ``upstream`` with ``toxic`` and connect one client through it."""
    proxy = actions.start_latency_proxy(name, "127.0.0.1:0", upstream_address(upstream), **toxic)
    probe, _ = upstream.accept()  # the reachability check's connection
    probe.close()
    client = _nodelay(socket.create_connection(address(proxy["listen"]), timeout=5.0))
    server, _ = upstream.accept()
    record = next(r for r in faults.open_records("latency-proxy") if r.id == proxy["record"])
    return Link(proxy, client, _nodelay(server), int(record.handles["pid"]))


def recv_exact(sock: socket.socket, size: int) -> bytes:
    """Exactly ``size`` bytes from ``sock`` (fails on EOF)."""
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise AssertionError(f"EOF after {len(buf)} of {size} bytes")
        buf += chunk
    return bytes(buf)


def one_way_ms(src: socket.socket, dst: socket.socket, payload: bytes = b"x" * 64) -> float:
    """Milliseconds from sending ``payload`` on ``src`` until all of it arrived on ``dst``."""
    start = time.perf_counter()
    src.sendall(payload)
    assert recv_exact(dst, len(payload)) == payload
    return (time.perf_counter() - start) * 1000.0


def wait_until(predicate, timeout: float = 3.0, step: float = 0.02) -> bool:
    """Poll ``predicate`` until true or ``timeout`` s; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (a zombie counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def port_closed(listen: str) -> bool:
    """True when nothing accepts connections at ``listen``."""
    try:
        socket.create_connection(address(listen), timeout=0.5).close()
    except OSError:
        return True
    return False
