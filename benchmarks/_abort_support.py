"""Support for ``benchmarks/abort_latency.py``: the SLO source the benchmark controls, and trial
plumbing.

The *source server* runs in its own process (``python benchmarks/_abort_support.py serve``) so the
benchmark's polling threads never compete with it for the GIL. One ``ThreadingHTTPServer`` on
loopback:

* ``GET /``        — the guarded service: ``200 ok`` while healthy, ``500`` once flipped
  (``what=http``).
* ``GET /metrics`` — a Prometheus exporter with one gauge, ``cgbench_error_ratio``: 0.001 while
  healthy, 0.2 once flipped (``what=prom``).
* ``GET /_flip?what=http|prom`` — flip that side to its bad value; ``/_reset`` — both healthy again
  and forget the times; ``/_state`` — JSON with the times below.

It records, on its own clock (the same machine clock as everything else here):

* ``first_bad_http_at`` — when the first ``500`` had been *written* to a client (right after the
  write and flush of the response): the moment the breach is observable at the HTTP source;
* ``first_bad_metrics_at`` — when the first ``/metrics`` answer carrying the bad gauge had been
  written to *Prometheus* (User-Agent ``Prometheus/...``): the first scrape that carries the new
  value.

A *user traffic* thread inside the server process requests ``GET /`` ``--user-rps`` times a second
over keep-alive, like real users of the service would, so "first bad response sent" is a property of
the service (≈ the flip + at most one user period) and not of whichever guard happens to read next.

Nothing here imports chaosguard: a bug in the code under test cannot hide behind the harness.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chaosguard.ledger.store import FaultRecord, read_run

METRIC = "cgbench_error_ratio"
GOOD_RATIO = 0.001
BAD_RATIO = 0.2


# ------------------------------------------------------------------------------------ source server
class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.gen = 0
        self.http_bad = False
        self.prom_bad = False
        self.flip_at: float | None = None
        self.flip_what = ""
        self.first_bad_http_at: float | None = None
        self.first_bad_metrics_at: float | None = None
        self.first_bad_http_client = ""
        self.bad_http = 0
        self.ok_http = 0
        self.scrapes = 0

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            return {k: v for k, v in vars(self).items() if k != "lock"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cgbench"

    def _send(self, status: int, body: bytes, ctype: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self) -> None:
        st: _State = self.server.state  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        if url.path == "/":
            with st.lock:
                bad, gen = st.http_bad, st.gen
            self._send(500 if bad else 200, b"boom\n" if bad else b"ok\n")
            sent = time.time()
            with st.lock:
                if bad and st.gen == gen:
                    st.bad_http += 1
                    if st.first_bad_http_at is None:
                        st.first_bad_http_at = sent
                        st.first_bad_http_client = self.headers.get("User-Agent", "")
                else:
                    st.ok_http += 1
        elif url.path == "/metrics":
            with st.lock:
                bad, gen = st.prom_bad, st.gen
            value = BAD_RATIO if bad else GOOD_RATIO
            body = f"# TYPE {METRIC} gauge\n{METRIC} {value!r}\n".encode()
            self._send(200, body, "text/plain; version=0.0.4; charset=utf-8")
            sent = time.time()
            if self.headers.get("User-Agent", "").startswith("Prometheus"):
                with st.lock:
                    st.scrapes += 1
                    if bad and st.gen == gen and st.first_bad_metrics_at is None:
                        st.first_bad_metrics_at = sent
        elif url.path == "/_flip":
            what = parse_qs(url.query).get("what", ["http"])[0]
            with st.lock:
                st.flip_at, st.flip_what = time.time(), what
                if what == "http":
                    st.http_bad = True
                else:
                    st.prom_bad = True
            self._send(200, json.dumps(st.as_dict()).encode(), "application/json")
        elif url.path == "/_reset":
            with st.lock:
                st.gen += 1
                st.http_bad = st.prom_bad = False
                st.flip_at = st.first_bad_http_at = st.first_bad_metrics_at = None
                st.flip_what = st.first_bad_http_client = ""
                st.bad_http = st.ok_http = 0
            self._send(200, json.dumps(st.as_dict()).encode(), "application/json")
        elif url.path == "/_state":
            self._send(200, json.dumps(st.as_dict()).encode(), "application/json")
        else:
            self._send(404, b"not found\n")

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients going away mid-answer are expected (runs end abruptly): stay quiet."""


def _user_traffic(port: int, rps: float, stop: threading.Event) -> None:
    """GET / every 1/rps s over one keep-alive connection (reconnect on error), like users would."""
    period = 1.0 / rps
    conn: http.client.HTTPConnection | None = None
    due = time.monotonic()
    while not stop.is_set():
        delay = due - time.monotonic()
        if delay > 0 and stop.wait(delay):
            break
        due = max(due + period, time.monotonic() - period)
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/", headers={"User-Agent": "cgbench-users"})
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            with contextlib.suppress(Exception):
                conn.close()  # type: ignore[union-attr]
            conn = None


def serve(user_rps: float) -> None:
    """Run the source server on a free loopback port; print the port; serve until SIGTERM/stdin
    EOF."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = _State()  # type: ignore[attr-defined]
    port = server.server_address[1]
    stop = threading.Event()
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    if user_rps > 0:
        threading.Thread(target=_user_traffic, args=(port, user_rps, stop), daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print(port, flush=True)
    sys.stdin.read()  # the benchmark holds our stdin: EOF means it is gone
    stop.set()
    os._exit(0)


def parent_death_signal() -> None:
    """preexec_fn: SIGTERM this child when the benchmark dies (Linux PR_SET_PDEATHSIG)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class SourceServer:
    """The benchmark's handle on the source server process."""

    def __init__(self, user_rps: float = 40.0) -> None:
        self.user_rps = user_rps
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/"

    def start(self) -> SourceServer:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "serve", "--user-rps", str(self.user_rps)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=parent_death_signal,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        return self

    def _get(self, path: str) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def flip(self, what: str) -> dict[str, Any]:
        return self._get(f"/_flip?what={what}")

    def reset(self) -> dict[str, Any]:
        return self._get("/_reset")

    def state(self) -> dict[str, Any]:
        return self._get("/_state")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# -------------------------------------------------------------------------------- ledger, processes
def read_ledger(home: Path) -> dict[str, FaultRecord]:
    """Every record under ``home/ledger`` (archived run files included), folded by the ledger
    itself."""
    out: dict[str, FaultRecord] = {}
    root = home / "ledger"
    if root.exists():
        for path in sorted(root.rglob("*.jsonl")):
            out.update(read_run(path).records)  # a torn line being written right now is skipped
    return out


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a zombie has closed its sockets)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :][:1] not in (b"Z", b"X")


def port_refuses(address: str, timeout: float = 0.5) -> bool:
    """True when nothing accepts connections on ``host:port`` any more."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def fault_processes(homes: Iterable[Path]) -> list[int]:
    """pids of live worker processes carrying a record id of any ledger under ``homes``."""
    flags = {f"--chaosguard-record={rid}" for home in homes for rid in read_ledger(home)}
    out = []
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = fh.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if flags & set(argv) and pid_alive(pid):
            out.append(pid)
    return out


# --------------------------------------------------------------------------------------- statistics


def other_cpu_percent(seconds: float = 1.0) -> float:
    """CPU used by processes that are not this process tree, over ``seconds`` (100 = one core)."""
    mine = {os.getpid()}

    def ticks() -> dict[int, int]:
        out = {}
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/stat", "rb") as fh:
                    raw = fh.read()
            except OSError:
                continue
            rest = raw[raw.rfind(b")") + 2 :].split()
            ppid = int(rest[1])
            if int(p) in mine or ppid in mine:
                continue
            out[int(p)] = int(rest[11]) + int(rest[12])
        return out

    hz = os.sysconf("SC_CLK_TCK")
    a = ticks()
    time.sleep(seconds)
    b = ticks()
    used = sum(v - a.get(k, v) for k, v in b.items() if k in a)
    return 100.0 * used / hz / seconds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="abort-latency source server")
    parser.add_argument("mode", choices=["serve"])
    parser.add_argument("--user-rps", type=float, default=40.0)
    ns = parser.parse_args()
    serve(ns.user_rps)
