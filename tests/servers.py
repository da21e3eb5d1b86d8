"""Real loopback HTTP servers for probe tests: a configurable delay and status per path."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes: ClassVar[dict[str, tuple[float, int]]] = {}

    def do_GET(self) -> None:
        delay, status = self.server.routes.get(self.path, (0.0, 404))  # type: ignore[attr-defined]
        if delay:
            time.sleep(delay)
        body = b"ok\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def http_server(
    routes: dict[str, tuple[float, int]],
) -> Iterator[tuple[str, dict[str, tuple[float, int]]]]:
    """Serve ``routes`` (path → (delay s, status)) on 127.0.0.1; yields (base URL, mutable
    routes)."""
    # stdlib default 5 drops SYNs under bursts (1 s stalls)
    ThreadingHTTPServer.request_queue_size = 512
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.routes = dict(routes)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server.routes  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
