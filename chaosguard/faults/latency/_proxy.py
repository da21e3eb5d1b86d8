"""The proxy engine: asyncio Protocols around two :class:`~._pipe.Pipe` objects per connection.

Each accepted connection gets an upstream connection and two pipes, ``upstream`` (client → server)
and ``downstream`` (server → client); see :mod:`._pipe` for how chunks are held back. A new
connection may be answered with a TCP reset instead (the toxic's ``reset_probability``). The toxic
lives on the :class:`LatencyProxy`; changing it affects chunks and connections that arrive
afterwards, on existing connections too, and never drops a connection.

At most ``max_connections`` connections are served at once (across all processes of the proxy:
:mod:`._cap`): beyond it a new connection is closed at
once with a reset (counted in ``refused``), and ONE line goes to the worker's log per burst of
refusals (the next accepted connection ends the burst), never one per connection.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
from typing import Any, cast

from chaosguard.faults.latency._cap import Cap, LocalCap
from chaosguard.faults.latency._pipe import HIGH_WATER, Pipe
from chaosguard.faults.latency._sched import Schedule, clock
from chaosguard.faults.latency._toxics import Lateness, should_reset
from chaosguard.faults.latency.spec import DEFAULT_MAX_CONNECTIONS, NO_TOXIC, Toxic

__all__ = ["Connection", "LatencyProxy"]

logger = logging.getLogger("chaosguard.faults.latency")

_LINGER_RST = struct.pack("ii", 1, 0)


class Connection:
    """A client connection and its upstream connection."""

    __slots__ = ("client", "closed", "down", "early", "early_eof", "proxy", "server", "task", "up")

    def __init__(self, proxy: LatencyProxy, client: asyncio.Transport) -> None:
        self.proxy = proxy
        self.client = client
        self.server: asyncio.Transport | None = None
        self.up: Pipe | None = None
        self.down: Pipe | None = None
        self.closed = False
        self.task: asyncio.Task[None] | None = None  # keeps the connect task referenced
        #: what the client sent before the upstream connection was ready: (arrival, bytes)
        self.early: list[tuple[float, bytes]] = []
        self.early_eof = False

    async def connect(self) -> None:
        """Open the upstream connection (its protocol attaches itself); reset the client if not."""
        host, port = self.proxy.upstream_addr
        try:
            await self.proxy.loop.create_connection(lambda: _ServerSide(self), host, port)
        except OSError:
            self.proxy.stats["upstream_errors"] += 1
            if not self.client.is_closing():
                _reset(self.client)
            self.closed = True
            self.proxy.forget(self)

    def attach(self, server: asyncio.Transport) -> None:
        """The upstream connection is up: build both pipes, pass on what the client sent meanwhile.

        Called from the upstream protocol's ``connection_made``, before it can receive any data
        (after ``await create_connection`` would be too late: the service may speak first).
        """
        if self.closed:  # the client left while we were connecting
            server.close()
            return
        self.server = server
        self.up = Pipe(self, "upstream", self.client, server)
        self.down = Pipe(self, "downstream", server, self.client)
        early, self.early = self.early, []
        if sum(len(d) for _, d in early) > HIGH_WATER:
            self.client.resume_reading()  # paused by hold(); from now on the pipe decides
        for arrived, data in early:
            self.up.feed(data, arrived)
        if self.early_eof:
            self.up.end(close=False)

    def hold(self, data: bytes) -> None:
        """Keep client data that arrived before the upstream connection was ready."""
        self.early.append((clock(), data))
        if sum(len(d) for _, d in self.early) > HIGH_WATER:
            self.client.pause_reading()

    def pipe_done(self) -> None:
        """Close both sides once neither direction carries anything any more."""
        if self.up is not None and self.down is not None and self.up.done and self.down.done:
            self.shutdown()

    def shutdown(self) -> None:
        """Close both transports (buffered bytes are still flushed)."""
        self.closed = True
        self.client.close()
        if self.server is not None:
            self.server.close()
        self.proxy.forget(self)


class _ClientSide(asyncio.Protocol):
    __slots__ = ("conn", "proxy")

    def __init__(self, proxy: LatencyProxy) -> None:
        self.proxy = proxy
        self.conn: Connection | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.conn = self.proxy.accept(cast(asyncio.Transport, transport))  # uvloop: not a subclass

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        if conn is None:
            return
        if conn.up is not None:
            conn.up.feed(data)
        else:
            conn.hold(data)

    def eof_received(self) -> bool:
        conn = self.conn
        if conn is not None:
            if conn.up is not None:
                conn.up.end(close=False)
            else:
                conn.early_eof = True
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        conn = self.conn
        if conn is None:
            return
        conn.closed = True
        if conn.up is None:
            self.proxy.forget(conn)
            return
        assert conn.down is not None
        conn.down.drop()
        conn.up.end(close=True)

    def pause_writing(self) -> None:
        if self.conn is not None and self.conn.down is not None:
            self.conn.down.set_dst_full(True)

    def resume_writing(self) -> None:
        if self.conn is not None and self.conn.down is not None:
            self.conn.down.set_dst_full(False)


class _ServerSide(asyncio.Protocol):
    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.conn.attach(cast(asyncio.Transport, transport))

    def data_received(self, data: bytes) -> None:
        if self.conn.down is not None:
            self.conn.down.feed(data)

    def eof_received(self) -> bool:
        if self.conn.down is not None:
            self.conn.down.end(close=False)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        conn = self.conn
        if conn.up is None or conn.down is None:
            return
        conn.up.drop()
        conn.down.end(close=True)

    def pause_writing(self) -> None:
        if self.conn.up is not None:
            self.conn.up.set_dst_full(True)

    def resume_writing(self) -> None:
        if self.conn.up is not None:
            self.conn.up.set_dst_full(False)


def _reset(transport: asyncio.Transport) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        except OSError:
            pass
    transport.abort()


class LatencyProxy:
    """A TCP proxy to one upstream with a live-changeable :class:`Toxic`."""

    def __init__(
        self,
        upstream: tuple[str, int],
        toxic: Toxic = NO_TOXIC,
        seed: int | None = None,
        cap: Cap | None = None,
    ) -> None:
        """``upstream`` is resolved already (an address, not a name); ``cap`` defaults to
        :data:`~.spec.DEFAULT_MAX_CONNECTIONS` connections of this process."""
        self.loop = asyncio.get_running_loop()
        self.cap: Cap = cap if cap is not None else LocalCap(DEFAULT_MAX_CONNECTIONS)
        self.upstream_addr: tuple[str, int] = upstream
        self.rng = random.Random(seed)
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "connections",
                "resets",
                "refused",
                "upstream_errors",
                "bytes_upstream",
                "bytes_downstream",
            ),
            0,
        )
        self.lateness = Lateness()
        self.tuning: dict[str, Any] = {}  # what :mod:`._tune` managed to set, for ``get``
        self.schedule = Schedule(self.loop)
        self._conns: set[Connection] = set()
        self._server: asyncio.AbstractServer | None = None
        #: the toxic delaying each stream now (``None``: untouched); pipes read it per chunk
        self.delays: dict[str, Toxic | None] = {}
        self.toxic = toxic
        self.set_toxic(toxic)

    @property
    def active(self) -> int:
        """Connections this process serves now."""
        return len(self._conns)

    async def listen_on(self, sock: socket.socket) -> None:
        """Serve clients arriving on ``sock`` (bound, listening: :func:`._family.listeners`)."""
        self._server = await self.loop.create_server(
            lambda: _ClientSide(self), sock=sock, backlog=1024
        )

    def set_toxic(self, toxic: Toxic) -> None:
        """Apply ``toxic`` to every chunk and connection that arrives from now on."""
        self.toxic = toxic
        self.delays = {
            s: toxic if toxic.delays and toxic.applies_to(s) else None
            for s in ("upstream", "downstream")
        }

    def accept(self, client: asyncio.Transport) -> Connection | None:
        """A new client: refuse it (cap reached), reset it (by the toxic's odds) or connect it
        upstream."""
        self.stats["connections"] += 1
        if not self.cap.admit():
            self.stats["refused"] += 1
            if self.cap.first_refusal():
                logger.warning(
                    "chaosguard latency proxy: %d connections open (the cap, policy "
                    "local.max_proxy_connections); refusing new connections until one closes",
                    self.cap.limit,
                )
            _reset(client)
            return None
        if should_reset(self.toxic, self.rng):
            self.cap.leave()
            self.stats["resets"] += 1
            _reset(client)
            return None
        conn = Connection(self, client)
        self._conns.add(conn)
        conn.task = self.loop.create_task(conn.connect())
        return conn

    def forget(self, conn: Connection) -> None:
        """Drop a finished connection from the live set (and from the cap's count)."""
        if conn in self._conns:
            self._conns.discard(conn)
            self.cap.leave()

    def snapshot(self) -> dict[str, Any]:
        """Counters plus the current toxic, for the control channel."""
        return {
            **self.stats,
            "active": self.active,
            "lateness": self.lateness.summary(),
            "tuning": self.tuning,
            "toxic": self.toxic.model_dump(mode="json"),
        }

    async def close(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns):
            conn.shutdown()
        self.schedule.close()
