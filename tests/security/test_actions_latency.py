"""The latency proxy's resources are bounded (issue 9, item 12).

- It serves at most ``local.max_proxy_connections`` connections at once, in all of its processes
  together: beyond the cap a new connection is closed at once while the first ones keep working,
  and the worker logs ONE line per burst of refusals, not one per connection.
- Each connection's buffering is bounded (256 KiB per direction's FIFO): many connections pushing
  into a slow upstream do not grow the worker by megabytes each.
- A listen address that is not loopback needs ``local.allow_non_loopback_listen: true``.
All on loopback; the one refused 0.0.0.0 listen is never bound.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from chaosguard import faults
from chaosguard.actions import latency
from chaosguard.errors import Refused
from chaosguard.faults.workers import log_path
from chaosguard.policy.gate import admit_listen, is_loopback
from chaosguard.policy.model import Policy
from tests.helpers import ledger_records, wait_until

# the actions are called directly, outside a guarded run: the operator allows it (tests that
# need a policy of their own write one over it with operator_policy)
pytestmark = [pytest.mark.security, pytest.mark.usefixtures("unguarded_actions")]

REFUSAL_LINE = "refusing new connections"


@pytest.fixture()
def operator_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def write(**fields: Any) -> None:
        path = tmp_path / "operator-policy.yaml"
        path.write_text(yaml.safe_dump({"allow_unguarded": True, **fields}))
        monkeypatch.setenv("CHAOSGUARD_POLICY", str(path))

    return write


@pytest.fixture()
def echo() -> Iterator[str]:
    """An echo service on loopback (one thread per connection)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.listen(64)
    stop = threading.Event()

    def serve_one(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    server.close()


def _connect(listen: str) -> socket.socket:
    host, port = listen.rsplit(":", 1)
    conn = socket.create_connection((host, int(port)), timeout=5)
    return conn


def _echoes(conn: socket.socket, payload: bytes) -> bool:
    try:
        conn.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = conn.recv(65536)
            if not chunk:
                return False
            got += chunk
        return got == payload
    except OSError:
        return False


def _refused(listen: str) -> bool:
    """A new connection is closed by the proxy (the reset may even beat ``connect()``)."""
    try:
        with _connect(listen) as conn:
            conn.sendall(b"hello?")
            return conn.recv(16) == b""
    except ConnectionResetError:
        return True


def _refusal_lines(record_id: str) -> int:
    record = next(r for r in faults.open_records("latency-proxy") if r.id == record_id)
    path = log_path(record)
    return path.read_text().count(REFUSAL_LINE) if path.exists() else 0


@pytest.mark.parametrize("processes", [1, 3])
def test_connections_beyond_the_cap_are_closed_and_logged_once_per_burst(
    operator_policy, echo: str, processes: int
) -> None:
    # with 3 processes the cap and the burst count across them, whichever takes a connection
    operator_policy(local={"max_proxy_connections": 3})
    out = latency.start_latency_proxy("capped", "127.0.0.1:0", echo, processes=processes)
    try:
        first = [_connect(out["listen"]) for _ in range(3)]
        assert all(_echoes(c, b"ping %d" % i) for i, c in enumerate(first))
        assert all([_refused(out["listen"]) for _ in range(4)])  # a burst of four beyond the cap
        assert all(_echoes(c, b"still here %d" % i) for i, c in enumerate(first))
        assert wait_until(lambda: _refusal_lines(out["record"]) == 1)
        # one closes: a new connection gets its place; the next burst is logged once more
        first.pop().close()
        assert wait_until(lambda: faults.observe(_record(out)).get("active") == 2)
        again = _connect(out["listen"])
        assert _echoes(again, b"in again")
        assert all([_refused(out["listen"]) for _ in range(3)])
        assert wait_until(lambda: _refusal_lines(out["record"]) == 2)
        seen = faults.observe(_record(out))
        assert seen["refused"] == 7 and seen["active"] == 3
        for conn in [*first, again]:
            conn.close()
    finally:
        latency.stop_latency_proxy("capped")


def _record(out: dict[str, Any]) -> faults.FaultRecord:
    return next(r for r in faults.open_records("latency-proxy") if r.id == out["record"])


def test_without_a_policy_the_cap_is_the_documented_default(echo: str) -> None:
    out = latency.start_latency_proxy("default-cap", "127.0.0.1:0", echo)
    try:
        assert _record(out).spec["max_connections"] == 512
    finally:
        latency.stop_latency_proxy("default-cap")


def test_buffering_per_connection_is_bounded(operator_policy) -> None:
    """Eight clients push without pause through 2 s of latency into an upstream that never reads:
    the worker grows by well under a MiB per connection (it was ~4.9 MiB with 4 MiB FIFOs)."""
    operator_policy()
    upstream = socket.create_server(("127.0.0.1", 0))
    upstream.listen(64)
    held: list[socket.socket] = []
    threading.Thread(
        target=lambda: [held.append(upstream.accept()[0]) for _ in range(8)], daemon=True
    ).start()
    out = latency.start_latency_proxy(
        "bounded", "127.0.0.1:0", f"127.0.0.1:{upstream.getsockname()[1]}", latency_ms=2000
    )
    worker = psutil.Process(_record(out).handles["pid"])
    clients: list[socket.socket] = []
    try:
        time.sleep(0.3)
        before = worker.memory_info().rss

        def push(conn: socket.socket) -> None:
            try:
                while True:
                    conn.sendall(b"x" * 65536)
            except OSError:
                pass

        for _ in range(8):
            conn = _connect(out["listen"])
            conn.settimeout(None)
            clients.append(conn)
            threading.Thread(target=push, args=(conn,), daemon=True).start()
        peak, deadline = before, time.monotonic() + 4
        while time.monotonic() < deadline:
            peak = max(peak, worker.memory_info().rss)
            time.sleep(0.1)
        per_connection_mib = (peak - before) / 8 / 2**20
        assert per_connection_mib < 2.0, f"{per_connection_mib:.2f} MiB per connection"
    finally:
        for conn in clients:
            conn.close()
        latency.stop_latency_proxy("bounded")
        for conn in held:
            conn.close()
        upstream.close()


@pytest.mark.parametrize("listen", ["0.0.0.0:0", "[::]:0"])
def test_a_non_loopback_listen_address_is_refused_without_the_opt_in(
    listen: str, echo: str, chaosguard_home: Path
) -> None:
    with pytest.raises(Refused) as err:
        latency.start_latency_proxy("wide", listen, echo)
    assert "is not loopback" in str(err.value)
    assert "local.allow_non_loopback_listen" in str(err.value)
    assert ledger_records(chaosguard_home) == []


def test_loopback_is_always_allowed_and_the_opt_in_allows_the_rest() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "::1", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.org"))
    admit_listen(Policy(), "127.0.0.1", "127.0.0.1:0")
    with pytest.raises(Refused, match=r"local\.allow_non_loopback_listen"):
        admit_listen(Policy(), "0.0.0.0", "0.0.0.0:9000")
    opted_in = Policy.model_validate({"local": {"allow_non_loopback_listen": True}})
    admit_listen(opted_in, "0.0.0.0", "0.0.0.0:9000")
