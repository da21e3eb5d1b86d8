"""Build, start and configure toxiproxy (the latency benchmark's anchor).

toxiproxy v2.12.0 is built from the Go module proxy with ``go install`` and cached under
``~/.cache/chaosguard/toxiproxy-v2.12.0/toxiproxy-server``. Run this module directly to build it
ahead of time: ``python benchmarks/_toxiproxy.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

__all__ = ["VERSION", "Toxiproxy", "ensure_toxiproxy"]

VERSION = "2.12.0"
MODULE = "github.com/Shopify/toxiproxy/v2"
CACHE = Path.home() / ".cache" / "chaosguard" / f"toxiproxy-v{VERSION}"


def ensure_toxiproxy(cache: Path = CACHE) -> Path:
    """Path of the cached ``toxiproxy-server`` binary, building it first when missing."""
    binary = cache / "toxiproxy-server"
    if binary.exists():
        return binary
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(go).exists():
        raise RuntimeError("toxiproxy is not cached and no Go toolchain is on PATH")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="toxiproxy-build-") as gobin:
        env = dict(os.environ, GOBIN=gobin, GOFLAGS="-trimpath", CGO_ENABLED="0")
        subprocess.run(
            [
                go,
                "install",
                "-ldflags",
                f"-s -w -X {MODULE}.Version={VERSION}",
                f"{MODULE}/cmd/server@v{VERSION}",
            ],
            env=env,
            check=True,
            cwd=gobin,
        )
        tmp = cache / f".toxiproxy-server.tmp.{os.getpid()}"
        shutil.move(os.path.join(gobin, "server"), tmp)
        os.replace(tmp, binary)
    return binary


class Toxiproxy:
    """One toxiproxy server on loopback, driven over its HTTP API.

    ``own_session`` (default) starts it in a session of its own, as chaosguard starts its latency
    worker: on Linux with autogroup scheduling each session is one scheduling group, so both proxies
    then compete for the CPU on the same terms. ``False`` keeps it in the caller's session (and
    scheduling group), next to the benchmark's load client and echo server.
    """

    def __init__(self, binary: Path, api_port: int, own_session: bool = True) -> None:
        self.binary = binary
        self.own_session = own_session
        self.api = f"http://127.0.0.1:{api_port}"
        self.api_port = api_port
        self.proc: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=self.api, timeout=5.0)

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until its API answers."""
        self.proc = subprocess.Popen(
            [str(self.binary), "-host", "127.0.0.1", "-port", str(self.api_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=self.own_session,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.client.get("/version").raise_for_status()
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"toxiproxy exited with {self.proc.returncode}") from None
                time.sleep(0.05)
        raise RuntimeError("toxiproxy API did not answer")

    def version(self) -> str:
        """The server's reported version."""
        return self.client.get("/version").text.strip()

    def add_proxy(self, name: str, listen: str, upstream: str) -> dict[str, Any]:
        """Create a proxy ``listen`` → ``upstream``."""
        resp = self.client.post(
            "/proxies", json={"name": name, "listen": listen, "upstream": upstream, "enabled": True}
        )
        resp.raise_for_status()
        return resp.json()

    def set_latency(
        self, proxy: str, latency_ms: int, jitter_ms: int = 0, stream: str = "downstream"
    ) -> None:
        """Replace the proxy's latency toxic on ``stream`` (removed when ``latency_ms`` is 0)."""
        name = f"latency_{stream}"
        self.client.delete(f"/proxies/{proxy}/toxics/{name}")
        if latency_ms <= 0 and jitter_ms <= 0:
            return
        resp = self.client.post(
            f"/proxies/{proxy}/toxics",
            json={
                "name": name,
                "type": "latency",
                "stream": stream,
                "toxicity": 1.0,
                "attributes": {"latency": latency_ms, "jitter": jitter_ms},
            },
        )
        resp.raise_for_status()

    def stop(self) -> None:
        """Stop the server."""
        self.client.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


if __name__ == "__main__":
    path = ensure_toxiproxy()
    print(path)
    sys.exit(0)
