"""A real Jaeger (all-in-one, in-memory storage) for the tracing tests.

The binary is built from the Go module proxy and cached by version by ``scripts/jaeger-test-bin``
(``make test`` builds it in the background; the first test that needs it runs the script, which
builds it when it is missing: ~8 min cold on 2 cores). It is started with a config that binds only
loopback, on free ports (two test runs on one machine never collide), OTLP/HTTP in, the query API
out; nothing else (no gRPC OTLP, no legacy receivers, no metrics port).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import ROOT

BUILD_SCRIPT = ROOT / "scripts" / "jaeger-test-bin"


class JaegerError(RuntimeError):
    """The test Jaeger is missing or did not start (tests error; they never skip)."""


def jaeger_binary() -> Path:
    """The cached binary; built by ``scripts/jaeger-test-bin`` when it is missing."""
    proc = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    binary = Path(lines[-1]) / "jaeger" if lines else Path("/nonexistent")
    if proc.returncode != 0 or not os.access(binary, os.X_OK):
        raise JaegerError(
            f"{BUILD_SCRIPT} failed (exit {proc.returncode}); no Jaeger binary at {binary}:\n"
            + proc.stderr[-3000:]
        )
    return binary


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def jaeger_config(otlp_port: int, query_port: int, query_grpc_port: int) -> dict[str, Any]:
    """All-in-one, reduced to OTLP/HTTP in and the query API out, on loopback only."""
    return {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["batch"],
                    "exporters": ["jaeger_storage_exporter"],
                }
            },
            "telemetry": {"metrics": {"level": "none"}, "logs": {"level": "warn"}},
        },
        "extensions": {
            "jaeger_storage": {"backends": {"mem": {"memory": {"max_traces": 10000}}}},
            "jaeger_query": {
                "storage": {"traces": "mem"},
                "enable_tracing": False,  # its own spans would go to localhost:4317
                "http": {"endpoint": f"127.0.0.1:{query_port}"},
                "grpc": {"endpoint": f"127.0.0.1:{query_grpc_port}"},
            },
        },
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{otlp_port}"}}}},
        "processors": {"batch": {"timeout": "100ms"}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "mem"}},
    }


def _quiet_env() -> dict[str, str]:
    """Jaeger's environment: none of our ``OTEL_*`` variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}


class JaegerServer:
    """One Jaeger process: :attr:`otlp_endpoint` to send to, :meth:`traces` to query."""

    def __init__(self, binary: Path, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.otlp_endpoint = ""
        self.query_url = ""
        self._log = workdir / "jaeger.log"

    def start(self, attempts: int = 3) -> None:
        """Start on free loopback ports (again on other ports if one was taken meanwhile)."""
        for _ in range(attempts):
            otlp, query, grpc = _free_ports(3)
            config = self.workdir / "jaeger.yaml"
            config.write_text(yaml.safe_dump(jaeger_config(otlp, query, grpc)))
            with self._log.open("ab") as log:
                self.proc = subprocess.Popen(
                    [str(self.binary), "--config", f"file:{config}"],
                    env=_quiet_env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            self.otlp_endpoint = f"http://127.0.0.1:{otlp}"
            self.query_url = f"http://127.0.0.1:{query}"
            if self._wait_ready(60.0):
                return
            self.stop()
        raise JaegerError(f"Jaeger did not start; its log:\n{self.log()[-4000:]}")

    def _wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                self._get("/api/services")
                with socket.create_connection(
                    ("127.0.0.1", int(self.otlp_endpoint.rsplit(":", 1)[1])), timeout=1
                ):
                    return True
            except OSError:
                time.sleep(0.2)
        return False

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log(self) -> str:
        """What Jaeger printed."""
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.query_url + path, timeout=5) as resp:
            return json.loads(resp.read())

    def traces(self, service: str) -> list[dict[str, Any]]:
        """``GET /api/traces?service=NAME`` (the query API's ``data``)."""
        query = urllib.parse.urlencode({"service": service, "limit": 20, "lookback": "1h"})
        return list(self._get(f"/api/traces?{query}").get("data") or [])

    def wait_for_traces(
        self, service: str, spans: int = 1, timeout_s: float = 30.0
    ) -> list[dict[str, Any]]:
        """The traces of ``service`` once they hold at least ``spans`` spans in all (bounded)."""
        deadline = time.monotonic() + timeout_s
        found: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            found = self.traces(service)
            if sum(len(t.get("spans") or []) for t in found) >= spans:
                return found
            time.sleep(0.3)
        return found
