"""The control channel of a latency worker: one JSON line in, one JSON line out, over a Unix socket.

The worker serves it (:func:`serve`); the ``latency-proxy`` and ``latency-toxic`` kinds are its only
clients (:func:`request`). The socket lives under the state directory
(``<state>/latency/<record>.sock``) and its path is kept in the record's handles. Requests::

    {"op": "ping"}                       → {"ok": true}
    {"op": "get"}                        → {"ok": true, "toxic": {...}, "connections": n, ...}
    {"op": "get", "reset": true}         → the same, then the lateness histogram starts over
    {"op": "set", "toxic": {...}}        → {"ok": true, "toxic": {...}}   (the worker validates it)

Errors come back as ``{"ok": false, "error": "..."}`` and :func:`request` raises them as
:class:`ControlError`. Paths longer than a ``sockaddr_un`` allows are reached through
``/proc/self/fd/<dir>/<name>``, so deep state directories work too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

from chaosguard.errors import ChaosGuardError

__all__ = ["MAX_LINE", "ControlError", "bind_unix", "request", "serve"]

MAX_LINE = 64 * 1024
_SUN_PATH_MAX = 100

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class ControlError(ChaosGuardError):
    """The worker could not be reached or refused the request.

    ``gone`` is True when nothing listens on the socket any more (file missing, connection
    refused): the worker has exited.
    """

    def __init__(self, message: str, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


@contextlib.contextmanager
def _short_path(path: Path) -> Iterator[str]:
    """A path to ``path`` short enough for ``sockaddr_un`` (via an open directory fd if needed)."""
    text = os.fspath(path)
    if len(text.encode()) <= _SUN_PATH_MAX:
        yield text
        return
    fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def bind_unix(path: Path) -> socket.socket:
    """A listening Unix socket at ``path`` (a stale file there is replaced), mode 0600."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _short_path(path) as where:
            sock.bind(where)
        os.chmod(path, 0o600)
        sock.listen(16)
    except OSError:
        sock.close()
        raise
    return sock


class _ControlProtocol(asyncio.Protocol):
    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._buf = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buf += data
        if b"\n" not in self._buf:
            if len(self._buf) > MAX_LINE:
                self._reply({"ok": False, "error": "request too long"})
            return
        line = self._buf.split(b"\n", 1)[0]
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise TypeError("request must be a JSON object")
            reply = self._handler(req)
        except Exception as exc:
            reply = {"ok": False, "error": " ".join(str(exc).split()) or type(exc).__name__}
        self._reply(reply)

    def _reply(self, reply: dict[str, Any]) -> None:
        assert self._transport is not None
        self._transport.write((json.dumps(reply) + "\n").encode())
        self._transport.close()


async def serve(path: Path, handler: Handler) -> asyncio.AbstractServer:
    """Serve ``handler`` on a Unix socket at ``path`` in the running loop."""
    sock = bind_unix(path)
    loop = asyncio.get_running_loop()
    return await loop.create_unix_server(lambda: _ControlProtocol(handler), sock=sock)


def request(path: str | Path, payload: dict[str, Any], timeout: float = 3.0) -> dict[str, Any]:
    """Send one request to the worker at ``path``; its reply (:class:`ControlError` if none)."""
    path = Path(path)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            with _short_path(path) as where:
                sock.connect(where)
            sock.sendall((json.dumps(payload) + "\n").encode())
            buf = b""
            while b"\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        raise ControlError(f"latency worker gone ({path.name}: {exc.strerror})", gone=True) from exc
    except OSError as exc:
        raise ControlError(f"control socket {path}: {exc.strerror or exc}") from exc
    try:
        reply: dict[str, Any] = json.loads(buf.split(b"\n", 1)[0])
    except ValueError:
        raise ControlError(f"control socket {path}: no valid reply") from None
    if not reply.get("ok"):
        raise ControlError(str(reply.get("error") or "request refused"))
    return reply
