"""Real Prometheus for tests: a loopback test exporter and a Debian ``/usr/bin/prometheus`` that
scrapes it.

Nothing here imports chaosguard, so a bug in the code under test cannot hide behind a broken
fixture.

* :class:`Exporter` — stdlib ``http.server`` on ``127.0.0.1:<free port>`` serving ``/metrics`` in
  the Prometheus text format. Tests change values at runtime (``set``/``inc``/``remove``) and can
  make the target go down: ``stop()`` (connection refused) / ``start()`` (same port again), or
  ``hang()`` (accepts, never answers: the scrape times out) / ``answer()``.
* :class:`PrometheusServer` — one Prometheus process on ``127.0.0.1:<free port>`` with a temporary
  ``--storage.tsdb.path`` and a config scraping the given targets every second. ``start()`` waits
  for ``/-/ready`` and for the first successful scrape of every target; ``stop()``/``start()`` can
  be used mid-test (same port, same storage, so history survives). The child gets SIGTERM if the
  test process dies.
* :func:`wait_for_value` — poll an instant query until a predicate holds.

The pytest fixtures that wire these together live in ``tests/integration/slo/conftest.py``.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "Exporter",
    "PrometheusServer",
    "PrometheusMissing",
    "find_prometheus",
    "free_port",
    "instant_query",
    "wait_for_value",
]

INSTALL_HINT = "apt-get install prometheus (make test does it)"


class PrometheusMissing(RuntimeError):
    """The Prometheus binary is not installed."""


def find_prometheus() -> str:
    """Path of the Prometheus binary (``$CHAOSGUARD_PROMETHEUS_BIN`` or ``prometheus`` on PATH)."""
    candidate = (
        os.environ.get("CHAOSGUARD_PROMETHEUS_BIN")
        or shutil.which("prometheus")
        or "/usr/bin/prometheus"
    )
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        raise PrometheusMissing(f"Prometheus binary not found ({candidate}): {INSTALL_HINT}")
    return candidate


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------------------------------- exporter


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


LabelKey = tuple[tuple[str, str], ...]


class _ExporterHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        exporter: Exporter = self.server.exporter  # type: ignore[attr-defined]
        exporter.scrapes += 1
        if exporter._hanging.is_set():
            exporter._released.wait(timeout=30)
            self.close_connection = True
            return
        if self.path.split("?")[0] != "/metrics":
            body, status = b"not found\n", 404
        else:
            body, status = exporter.render().encode(), exporter.status
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _ExporterServer(ThreadingHTTPServer):
    """Tracks open connections so :meth:`Exporter.stop` can cut keep-alive scrapes too."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Scrapes cut by :meth:`Exporter.stop` or a stopping Prometheus are expected: stay
        quiet."""

    def cut_connections(self) -> None:
        with self.connections_lock:
            conns, self.connections = list(self.connections), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Exporter:
    """A /metrics endpoint whose values tests set at runtime.

    >>> exp = Exporter(); exp.start(); exp.set("slo_error_ratio", 0.002); exp.address
    '127.0.0.1:...'
    """

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.status = 200
        self.scrapes = 0
        self._metrics: dict[str, tuple[str, dict[LabelKey, float]]] = {}
        self._lock = threading.Lock()
        self._server: _ExporterServer | None = None
        self._thread: threading.Thread | None = None
        self._hanging = threading.Event()
        self._released = threading.Event()

    # values ---------------------------------------------------------------------------------------
    def set(
        self, name: str, value: float, labels: dict[str, str] | None = None, kind: str = "gauge"
    ) -> None:
        """Set sample ``name{labels}`` to ``value`` (a gauge unless ``kind`` says otherwise)."""
        key: LabelKey = tuple(sorted((labels or {}).items()))
        with self._lock:
            _typ, series = self._metrics.setdefault(name, (kind, {}))
            series[key] = float(value)

    def inc(self, name: str, by: float = 1.0, labels: dict[str, str] | None = None) -> float:
        """Add ``by`` to counter ``name{labels}``; return the new value."""
        key: LabelKey = tuple(sorted((labels or {}).items()))
        with self._lock:
            _, series = self._metrics.setdefault(name, ("counter", {}))
            series[key] = series.get(key, 0.0) + by
            return series[key]

    def remove(self, name: str, labels: dict[str, str] | None = None) -> None:
        """Stop exposing ``name`` (one series when ``labels`` is given, else every series)."""
        with self._lock:
            if labels is None:
                self._metrics.pop(name, None)
            elif name in self._metrics:
                self._metrics[name][1].pop(tuple(sorted(labels.items())), None)

    def clear(self) -> None:
        """Stop exposing every metric."""
        with self._lock:
            self._metrics.clear()

    def render(self) -> str:
        """The exposition text."""
        lines: list[str] = []
        with self._lock:
            for name, (typ, series) in sorted(self._metrics.items()):
                lines.append(f"# TYPE {name} {typ}")
                for key, value in sorted(series.items()):
                    lab = ",".join(f'{k}="{_escape(v)}"' for k, v in key)
                    lines.append(
                        f"{name}{{{lab}}} {_fmt(value)}" if lab else f"{name} {_fmt(value)}"
                    )
        return "\n".join(lines) + "\n"

    # lifecycle ------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def address(self) -> str:
        """``host:port`` for a scrape config."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> Exporter:
        """Answer on ``127.0.0.1:port`` (the same port as before after a :meth:`stop`)."""
        if self._server is not None:
            return self
        self.answer()
        server = _ExporterServer(("127.0.0.1", self.port), _ExporterHandler)
        server.exporter = self  # type: ignore[attr-defined]
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"exporter-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listening socket: scrapes get 'connection refused' (target down)."""
        server, self._server = self._server, None
        self.answer()
        if server is not None:
            server.shutdown()
            server.server_close()
            server.cut_connections()  # Prometheus keeps its scrape connection alive
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def hang(self) -> None:
        """Keep accepting connections but never answer (the scrape times out: target down)."""
        self._released.clear()
        self._hanging.set()

    def answer(self) -> None:
        """Undo :meth:`hang`."""
        self._hanging.clear()
        self._released.set()

    def __enter__(self) -> Exporter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------------------- prometheus


def _set_parent_death_signal() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: die with the test process


def instant_query(
    prom_url: str, query: str, timeout: float = 5.0
) -> list[tuple[dict[str, str], float]]:
    """Raw instant query: ``[(labels, value), ...]`` (a scalar result has empty labels).

    Raises ``RuntimeError`` with Prometheus' error on ``status: error``.
    """
    r = httpx.get(f"{prom_url}/api/v1/query", params={"query": query}, timeout=timeout)
    payload = r.json()
    if payload.get("status") != "success":
        raise RuntimeError(f"{payload.get('errorType')}: {payload.get('error')}")
    data = payload["data"]
    if data["resultType"] == "scalar":
        return [({}, float(data["result"][1]))]
    if data["resultType"] == "vector":
        return [(s["metric"], float(s["value"][1])) for s in data["result"]]
    raise RuntimeError(f"unexpected result type {data['resultType']}")


def wait_for_value(
    prom_url: str,
    query: str,
    predicate: Callable[[float], bool],
    timeout: float = 15.0,
    step: float = 0.1,
) -> float:
    """Poll ``query`` until it yields exactly one sample whose value satisfies ``predicate``; return
    it.

    Errors and empty/multi-sample answers count as 'not yet'. Raises ``AssertionError`` (with the
    last answer) after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    last: object = "nothing yet"
    while True:
        try:
            result = instant_query(
                prom_url, query, timeout=max(0.5, min(5.0, deadline - time.monotonic()))
            )
            if len(result) == 1:
                value = result[0][1]
                if predicate(value):
                    return value
                last = value
            else:
                last = f"{len(result)} samples"
        except Exception as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{query!r} did not satisfy the predicate within {timeout:g} s (last: {last!r})"
            )
        time.sleep(step)


class PrometheusServer:
    """One Prometheus process on loopback scraping ``targets`` every ``scrape_interval``."""

    def __init__(
        self,
        workdir: Path,
        targets: Iterable[tuple[str, str]],
        scrape_interval: str = "1s",
        binary: str | None = None,
        honor_labels: bool = False,
        rule_files: Iterable[Path] = (),
    ) -> None:
        self.binary = binary or find_prometheus()
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.targets = list(targets)  # (job, host:port)
        self.scrape_interval = scrape_interval
        self.honor_labels = honor_labels  # a Pushgateway's job/instance labels are kept
        self.rule_files = [Path(p) for p in rule_files]
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.scraped = False
        self.frozen = False
        self.config_file = self.workdir / "prometheus.yml"
        self.storage = self.workdir / "data"
        self.log_file = self.workdir / "prometheus.log"
        self._write_config()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _write_config(self) -> None:
        jobs: dict[str, list[str]] = {}
        for job, address in self.targets:
            jobs.setdefault(job, []).append(address)
        lines = [
            "global:",
            f"  scrape_interval: {self.scrape_interval}",
            f"  scrape_timeout: {self.scrape_interval}",
            f"  evaluation_interval: {self.scrape_interval}",
        ]
        if self.rule_files:
            lines += ["rule_files:"] + [f'  - "{p}"' for p in self.rule_files]
        lines += ["scrape_configs:"]
        for job, addresses in jobs.items():
            lines += [
                f"  - job_name: {job}",
                f"    honor_labels: {'true' if self.honor_labels else 'false'}",
                "    static_configs:",
                "      - targets: [" + ", ".join(f'"{a}"' for a in addresses) + "]",
            ]
        self.config_file.write_text("\n".join(lines) + "\n")

    def _log_tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def _spawn(self) -> None:
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.proc = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={self.config_file}",
                    f"--storage.tsdb.path={self.storage}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--storage.tsdb.retention.time=1d",
                    "--log.level=warn",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.workdir,
                preexec_fn=_set_parent_death_signal,
            )
        finally:
            log.close()

    def start(self, timeout: float = 60.0, wait_scrape: bool = True) -> PrometheusServer:
        """Start (or restart on the same port), wait for ``/-/ready`` and the first scrape of each
        target."""
        if self.running:
            return self
        self.scraped = False
        attempts = 3 if self.port == 0 else 1
        for attempt in range(attempts):
            if self.port == 0 or attempt > 0:
                self.port = free_port()
            self._spawn()
            if self._wait_ready(timeout):
                break
            self._terminate()
            if attempt == attempts - 1 or "address already in use" not in self._log_tail():
                raise RuntimeError(
                    f"Prometheus on {self.url} did not become ready within {timeout:g} s; "
                    f"log {self.log_file}:\n{self._log_tail()}"
                )
        if wait_scrape:
            self.wait_scraped(timeout)
        return self

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        return False

    def wait_scraped(self, timeout: float = 30.0) -> None:
        """Wait until every target has a successful scrape (``up == 1``) newer than this call.

        Prometheus 2.42 hands new targets to the scrape loop on a 5 s discovery tick, so the first
        scrape after a (re)start takes ~5 s; later calls return within a scrape interval.
        """
        since = time.time() - 0.5
        for job, address in self.targets:
            sel = f'up{{job="{job}",instance="{address}"}}'
            wait_for_value(self.url, f"timestamp({sel})", lambda ts: ts >= since, timeout=timeout)
            wait_for_value(self.url, sel, lambda up: up == 1, timeout=timeout)
        self.scraped = True

    def ensure_scraped(self, timeout: float = 30.0) -> None:
        """Start if stopped, thaw if frozen, and wait for a scrape unless one is known since the
        last start."""
        self.thaw()
        if not self.running:
            self.start(wait_scrape=False)
        if not self.scraped:
            self.wait_scraped(timeout)

    def freeze(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers (a hung Prometheus)."""
        if self.running and not self.frozen:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGSTOP)
            self.frozen = True

    def thaw(self) -> None:
        """Undo :meth:`freeze` (SIGCONT)."""
        if self.frozen and self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
        self.frozen = False

    def _terminate(self) -> None:
        self.thaw()
        self.scraped = False
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL); the port and storage are kept for
        :meth:`start`."""
        self._terminate()

    def query(self, query: str) -> list[tuple[dict[str, str], float]]:
        return instant_query(self.url, query)

    def info(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "pid": self.proc.pid if self.proc else None,
            "log": str(self.log_file),
        }

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
