"""A latency proxy of several processes: one listen address, forked siblings, one control socket.

Why: one event loop serving 200 busy connections on a 2-core machine is late, because it waits for
a CPU while it works through a burst of ready sockets; with 2 processes the added-delay error p99 at
200 connections was 4.1–4.8 ms against 11.7–14.7 ms with one (docs/faults/latency.md, *Benchmark*).

How:

- :func:`listeners` binds one listening socket per process to the same address with
  ``SO_REUSEPORT`` (the kernel spreads new connections over them by their addresses), all in
  process 0 before any event loop exists, so a bind error is reported before the proxy says ready.
- :func:`fork_siblings` forks processes 1…N-1. Each keeps its own listener and one end of a
  socketpair, its channel to process 0. It asks the kernel for SIGKILL when process 0 dies
  (``PR_SET_PDEATHSIG``), watches the runner's lifeline itself, and exits when its channel closes.
  Siblings carry the worker's command line, record flag included, so revert and ``chaos cleanup``
  find and stop them exactly as they find process 0.
- Process 0 serves the control socket and passes ``set`` and ``get`` to every sibling
  (:class:`Siblings`). A ``set`` is answered only once every process applies the new toxic, so
  "chunks that arrive after the reply get the new toxic" holds in every process; it is all or
  none: when a sibling is silent, the others put the previous toxic back before the error
  (:meth:`Siblings.change`). ``get`` sums the counters and the lateness histograms
  (:func:`merged_snapshot`) and shows each process's toxic.
- The connection cap counts the connections of all processes (:class:`~._cap.SharedCap`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chaosguard.faults.latency._proxy import LatencyProxy
from chaosguard.faults.latency._toxics import Lateness
from chaosguard.faults.latency.control import ControlError
from chaosguard.faults.latency.spec import Toxic

__all__ = [
    "CHANNEL_TIMEOUT_S",
    "Siblings",
    "fork_siblings",
    "listeners",
    "merged_snapshot",
    "serve_sibling",
]

logger = logging.getLogger("chaosguard.faults.latency")

#: How long process 0 waits for a sibling's answer on its channel.
CHANNEL_TIMEOUT_S = 2.0
_PR_SET_PDEATHSIG = 1


def listeners(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` listening sockets on ``host:port`` (port 0: one free port for all of them)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, addr = infos[0]
    socks: list[socket.socket] = []
    try:
        for index in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if count > 1:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(addr if index == 0 else socks[0].getsockname())
            sock.listen(1024)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


@dataclass
class Siblings:
    """Process 0's view of processes 1…N-1: their pids and channels, by slot."""

    members: dict[int, tuple[int, socket.socket]] = field(default_factory=dict)
    on_gone: list[Callable[[int], None]] = field(default_factory=list)  # called with its slot
    asked: int = 0  # the id of the last request (answers echo it)

    def __len__(self) -> int:
        return len(self.members)

    def ask(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """Send ``request`` to every sibling, then collect every answer.

        A sibling whose channel is closed is gone (logged, forgotten); one that is silent for
        :data:`CHANNEL_TIMEOUT_S` raises :class:`~.control.ControlError`.
        """
        answers, silent = self._exchange(request)
        if silent:
            raise self._silent_error(silent[0])
        return answers

    def change(self, toxic: dict[str, Any], previous: dict[str, Any]) -> None:
        """Give every sibling ``toxic``, all or none.

        When one is silent, ``previous`` goes to every sibling: the ones that took ``toxic`` put
        it back before this returns, a silent one reads both in order when it resumes. Then
        :class:`~.control.ControlError`: process 0 (which applies a change last) never took it.
        The error says so when a sibling did not confirm the way back either.
        """
        _, silent = self._exchange({"op": "set", "toxic": toxic})
        if not silent:
            return
        took = [slot for slot in self.members if slot not in silent]
        _, lost = self._exchange({"op": "set", "toxic": previous}, wait_for=took)
        if lost:  # then the processes may differ: say so rather than claim the way back
            back = f" (process {lost[0]} did not confirm the way back)"
            raise self._silent_error(silent[0], back)
        raise self._silent_error(silent[0], " (every process keeps the previous toxic)")

    def _exchange(
        self, request: dict[str, Any], wait_for: list[int] | None = None
    ) -> tuple[list[dict[str, Any]], list[int]]:
        """Send ``request`` to every sibling; the answers of those in ``wait_for`` (default: all)
        within one :data:`CHANNEL_TIMEOUT_S`, and the slots that stayed silent."""
        self.asked += 1
        want = self.asked
        line = (json.dumps({**request, "id": want}) + "\n").encode()
        sent = []
        for slot, (_, chan) in list(self.members.items()):
            try:
                chan.sendall(line)
                sent.append(slot)
            except OSError:
                self._gone(slot)
        deadline = time.monotonic() + CHANNEL_TIMEOUT_S
        answers: list[dict[str, Any]] = []
        silent: list[int] = []
        for slot in sent if wait_for is None else [s for s in sent if s in wait_for]:
            answer = _read_line(self.members[slot][1], want, deadline)
            if isinstance(answer, dict):
                answers.append(answer)
            elif answer == "closed":
                self._gone(slot)
            else:
                silent.append(slot)
        return answers, silent

    def _silent_error(self, slot: int, more: str = "") -> ControlError:
        pid = self.members[slot][0]
        return ControlError(f"proxy process {slot} (pid {pid}) did not answer{more}")

    def reap(self) -> None:
        """Forget siblings that have exited (each logged once)."""
        for slot, (pid, _) in list(self.members.items()):
            with contextlib.suppress(ChildProcessError):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    self._gone(slot, status)

    def _gone(self, slot: int, status: int | None = None) -> None:
        pid, chan = self.members.pop(slot)
        chan.close()
        why = _exit_of(pid) if status is None else _describe(status)
        logger.warning(
            "chaosguard latency proxy: process %d (pid %d) is gone: %s; its connections ended, "
            "the other processes serve on",
            slot,
            pid,
            why,
        )
        for callback in self.on_gone:
            callback(slot)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"it exited (signal {signal.Signals(os.WTERMSIG(status)).name})"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"it exited (status {code})"


def _exit_of(pid: int, wait_s: float = 1.0) -> str:
    """How a sibling whose channel closed ended (its channel closes a moment before it is a
    zombie), reaped here; waits at most ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return "it exited"
        if done:
            return _describe(status)
        if time.monotonic() >= deadline:
            return "its channel closed"
        time.sleep(0.005)


def _read_line(chan: socket.socket, want: int, deadline: float) -> dict[str, Any] | str:
    """The answer to request ``want`` from ``chan``, or ``"closed"`` (EOF, error) or ``"silent"``
    (nothing by ``deadline``, a :func:`time.monotonic` time). Answers to earlier requests that
    timed out (a sibling stopped, then resumed) are skipped, so a late answer is never taken for a
    new one."""
    buf = b""
    try:
        while True:
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                answer: dict[str, Any] = json.loads(line)
                if answer.get("id") == want:
                    return answer
            chan.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = chan.recv(1 << 20)
            if not chunk:
                return "closed"
            buf += chunk
    except TimeoutError:
        return "silent"
    except OSError:
        return "closed"


def fork_siblings(count: int, on_fork: Callable[[], None]) -> tuple[int, socket.socket | Siblings]:
    """Fork processes 1…``count``-1; ``(slot, channel)`` in a sibling, ``(0, Siblings)`` in
    process 0. ``on_fork()`` runs first thing in each sibling (lifeline watch, ready fd)."""
    siblings = Siblings()
    parent = os.getpid()
    for slot in range(1, count):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            mine.close()
            for _, chan in siblings.members.values():
                chan.close()
            _die_with(parent)
            on_fork()
            return slot, theirs
        theirs.close()
        siblings.members[slot] = (pid, mine)
    return 0, siblings


def _die_with(parent: int) -> None:
    """Ask for SIGKILL when ``parent`` dies; exit now if it already has."""
    import ctypes  # only in a sibling, once

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def merged_snapshot(proxy: LatencyProxy, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """``proxy``'s snapshot with the siblings' counters and lateness added in, plus
    ``processes`` and ``by_process`` (each process's pid, open connections and toxic)."""
    snap = proxy.snapshot()
    lateness = Lateness()
    lateness.absorb(proxy.lateness.export())
    snap["by_process"] = [{"pid": os.getpid(), "active": snap["active"], "toxic": snap["toxic"]}]
    snap["by_process"] += [
        {"pid": part["pid"], "active": part["active"], "toxic": part["toxic"]} for part in parts
    ]
    for part in parts:
        for key, value in part["stats"].items():
            snap[key] = snap.get(key, 0) + value
        snap["active"] += part["active"]
        lateness.absorb(part["lateness"])
    snap["lateness"] = lateness.summary()
    snap["processes"] = 1 + len(parts)
    return snap


class _Channel(asyncio.Protocol):
    """A sibling's end of its channel: one JSON line in, one JSON line out."""

    def __init__(self, proxy: LatencyProxy, closed: asyncio.Future[None]) -> None:
        self._proxy = proxy
        self._closed = closed
        self._buf = b""
        self._transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buf += data
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            request = json.loads(line)
            answer = {**self._answer(request), "id": request.get("id")}
            self._transport.write((json.dumps(answer) + "\n").encode())

    def _answer(self, request: dict[str, Any]) -> dict[str, Any]:
        proxy = self._proxy
        op = request.get("op")
        if op == "set":
            proxy.set_toxic(Toxic.model_validate(request["toxic"]))
            return {"ok": True}
        if op == "get":
            answer = {
                "ok": True,
                "pid": os.getpid(),
                "stats": dict(proxy.stats),
                "active": proxy.active,
                "toxic": proxy.toxic.model_dump(mode="json"),
                "lateness": proxy.lateness.export(),
            }
            if request.get("reset"):
                proxy.lateness.reset()
            return answer
        return {"ok": True, "pid": os.getpid()}

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._closed.done():
            self._closed.set_result(None)


async def serve_sibling(proxy: LatencyProxy, listener: socket.socket, chan: socket.socket) -> None:
    """Serve ``listener`` until process 0 closes ``chan`` (or dies)."""
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()
    await proxy.listen_on(listener)
    await loop.create_unix_connection(lambda: _Channel(proxy, closed), sock=chan)
    await closed
    await proxy.close()
