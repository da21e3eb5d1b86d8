"""Issue 10: a fresh HTTP guard against a healthy real service reads healthy from its first reading.

The demo service (``chaosguard.demo.service``: 15-45 ms of work per request) runs as its own
process; this process builds three HTTP guard sources the way a guarded run does (prepared, then
started) and reads them as preflight does: as soon as a window holds a request. The first reading of
each guard must look like the service's steady state, measured by the same guards seconds later on
the same machine: no more than twice their steady p95 plus 20 ms (the old sampler's first windows
read 200-500 ms against a steady ~45 ms: its clients were built while the first requests were
timed).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from chaosguard.slo.base import SourceUnreadable
from chaosguard.slo.http.source import HttpSource
from chaosguard.slo.spec import HttpGuard
from tests.helpers import wait_until
from tests.prometheus_server import free_port


@pytest.fixture()
def demo_service() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaosguard.demo.service", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until(lambda: _up(f"http://127.0.0.1:{port}/healthz"), timeout=15)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def _first_value(src: HttpSource) -> float:
    deadline = time.monotonic() + 10
    while True:
        try:
            return src.read(1).value
        except SourceUnreadable:
            assert time.monotonic() < deadline, "no request completed within 10 s"
            time.sleep(0.05)


def test_fresh_guards_read_a_healthy_service_as_healthy_from_their_first_reading(
    demo_service: str,
) -> None:
    specs = [
        HttpGuard(name=f"fresh-{m}", source="http", url=demo_service, metric=m, window_s=2, max=500)
        for m in ("p95_ms", "p99_ms", "max_ms")
    ]
    sources = [HttpSource(spec) for spec in specs]
    for src in sources:
        src.prepare()
    for src in sources:
        src.start()
    try:
        first = [_first_value(src) for src in sources]
        time.sleep(4.0)  # past a whole window: the steady state of the same guards
        steady: list[list[float]] = [[] for _ in sources]
        for _ in range(10):
            for i, src in enumerate(sources):
                steady[i].append(src.read(1).value)
            time.sleep(0.2)
    finally:
        for src in sources:
            src.stop()
    for spec, value, later in zip(specs, first, steady, strict=True):
        normal = statistics.median(later)
        assert value <= 2 * normal + 20, (spec.metric, value, later)
        assert not spec.breached_by(value)
