"""The demo's target: a small HTTP service with realistic, slightly variable response times.

``python -m chaosguard.demo.service --port P`` serves ``GET /`` (JSON, 15–45 ms of "work") and
``GET /healthz`` on 127.0.0.1 until terminated. Keep-alive HTTP/1.1, one thread per connection.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chaosguard-demo/1"

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._reply(200, {"status": "ok"})
            return
        work = random.uniform(0.015, 0.045)
        time.sleep(work)
        self._reply(200, {"items": 3, "work_ms": round(work * 1000, 1)})

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    """Serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # the stdlib default (5) drops SYNs under bursts: +1 s
    ThreadingHTTPServer.request_queue_size = 512
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
