"""Real servers for the publisher tests: an HTTPS webhook receiver with a test CA, a Debian
Pushgateway.

* ``tls`` (session) — a CA and a server certificate for 127.0.0.1, made with the ``openssl`` CLI.
* ``receiver`` — an HTTPS server on 127.0.0.1 recording every request (path, headers, body); it can
  fail the first N requests with a status (``fail_first``), or accept and never answer (``hang``).
* ``pushgateway`` (module) — ``/usr/bin/prometheus-pushgateway`` on a free loopback port, no
  persistence.

Missing binaries fail the tests (with the install hint), never skip them.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

PUSHGATEWAY = "/usr/bin/prometheus-pushgateway"
PUSHGATEWAY_HINT = "apt-get install prometheus-pushgateway (make test does it)"
OPENSSL_HINT = "apt-get install openssl (make test does it)"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Tls:
    """Paths of the test CA and the server's certificate and key."""

    ca: Path
    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    if shutil.which("openssl") is None:
        pytest.fail(f"openssl not found: {OPENSSL_HINT}", pytrace=False)
    d = tmp_path_factory.mktemp("tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=chaosguard test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )
    _openssl(
        "req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=d
    )
    (d / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        cwd=d,
    )
    return Tls(ca=d / "ca.pem", cert=d / "server.pem", key=d / "server.key")


@dataclass
class Request:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """State shared with the handler: what was received, how to answer."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    fail_first: int = 0
    fail_status: int = 503
    retry_after: str | None = None
    hang: bool = False
    got_request: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        state: Receiver = self.server.state  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        state.requests.append(
            Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        state.got_request.set()
        if state.hang:
            state.release.wait(timeout=30)
            self.close_connection = True
            return
        failing = len(state.requests) <= state.fail_first
        payload = b'{"error": "not now"}' if failing else b'{"ok": true}'
        self.send_response(state.fail_status if failing else 202)
        if failing and state.retry_after is not None:
            self.send_header("Retry-After", state.retry_after)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Rejected TLS handshakes and cut connections are what some tests are about: stay quiet."""


@pytest.fixture()
def receiver(tls: Tls) -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert, tls.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state = Receiver(url=f"https://127.0.0.1:{server.server_port}/hooks/chaos")
    server.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


@dataclass
class Pushgateway:
    """A running Pushgateway."""

    url: str
    proc: subprocess.Popen[bytes]

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text


def _listens_on(pid: int, port: int) -> bool:
    """True when process ``pid`` itself listens on ``port`` (not another test's gateway that took
    the free port first: then ``/-/ready`` answers, but from someone else's server)."""
    import psutil

    try:
        conns = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in conns)


def _start_pushgateway(binary: str, log: Any) -> tuple[str, subprocess.Popen[bytes]] | None:
    port = free_port()
    proc = subprocess.Popen(
        # Debian's build persists to /var/lib/prometheus/pushgateway.data by default: every test
        # run would see the groups of every earlier one
        [binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            ready = httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            ready = False
        if ready and _listens_on(proc.pid, port):
            return url, proc
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=10)
    return None


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushgateway]:
    binary = shutil.which("prometheus-pushgateway") or PUSHGATEWAY
    if not Path(binary).is_file():
        pytest.fail(
            f"Pushgateway binary not found ({PUSHGATEWAY}): {PUSHGATEWAY_HINT}", pytrace=False
        )
    log = (tmp_path_factory.mktemp("pushgateway") / "pushgateway.log").open("wb")
    started = None
    for _ in range(3):  # the free port may be taken between choosing it and binding it
        started = _start_pushgateway(binary, log)
        if started is not None:
            break
    if started is None:
        log.close()
        pytest.fail(f"Pushgateway did not start; see {log.name}", pytrace=False)
    url, proc = started
    try:
        yield Pushgateway(url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
