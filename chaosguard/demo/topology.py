"""The demo's little world on loopback: a service, a latency proxy in front of it, and users.

Every process started here dies with the demo: the service and the users get ``PR_SET_PDEATHSIG``
from the main thread (which lives as long as the demo), and the proxy is a chaosguard fault with a
lifeline.
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import time
from types import TracebackType
from typing import Any

import httpx

from chaosguard import faults
from chaosguard.faults.latency.spec import Spec
from chaosguard.ledger.store import FaultRecord
from chaosguard.validation import parse

__all__ = ["Topology", "PROXY_NAME"]

PROXY_NAME = "demo-frontend"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Topology:
    """Start with ``with Topology() as topo:``; ``topo.url`` is what users (and probes) call."""

    def __init__(self, users_rate: float = 20.0) -> None:
        self.users_rate = users_rate
        self.service_port = _free_port()
        self.url = ""
        self.proxy: dict[str, Any] = {}
        self._record: FaultRecord | None = None
        self._procs: list[subprocess.Popen[bytes]] = []

    def _spawn(self, *args: str, quiet: bool = True) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            preexec_fn=_die_with_parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL if quiet else None,
        )
        self._procs.append(proc)
        return proc

    def __enter__(self) -> Topology:
        try:
            self._spawn("chaosguard.demo.service", "--port", str(self.service_port))
            _wait_http(f"http://127.0.0.1:{self.service_port}/healthz")
            # The world the experiment runs against, not an action of it: the harness injects the
            # proxy through the fault contract (ledger first, reverted at close, dies with us).
            spec = parse(
                Spec,
                name=PROXY_NAME,
                listen="127.0.0.1:0",
                upstream=f"127.0.0.1:{self.service_port}",
            )
            self._record = faults.inject("latency-proxy", spec)
            listen = self._record.handles.get("listen", spec.listen)
            self.proxy = {"name": PROXY_NAME, "listen": listen, "record": self._record.id}
            self.url = f"http://{listen}/"
            self._spawn(
                "chaosguard.demo.load",
                "--url",
                self.url,
                "--rate",
                str(self.users_rate),
                "--every",
                "3",
                quiet=False,
            )
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> list[int]:
        """Stop everything; return the pids that had to be killed (should be none)."""
        if self._record is not None:
            faults.revert(self._record)
            self._record = None
        killed = []
        for proc in reversed(self._procs):
            proc.terminate()
        for proc in reversed(self._procs):
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                killed.append(proc.pid)
        self._procs.clear()
        return killed

    def pids(self) -> list[int]:
        """pids of the service and users processes still running."""
        return [p.pid for p in self._procs if p.poll() is None]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _wait_http(url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"demo service did not answer at {url} within {timeout:g} s")
        time.sleep(0.05)
