"""Every SLO source follows the SloSource lifecycle: start() before reading, stop() releases it."""

from __future__ import annotations

import threading
import time

import pytest

from chaosguard.errors import ChaosGuardError
from chaosguard.slo.base import SloSource, SourceUnreadable
from chaosguard.slo.build import build_source
from chaosguard.slo.http.sampler import NoSamples, Sampler
from chaosguard.slo.http.source import HttpSource
from chaosguard.slo.http.target import HttpTarget
from chaosguard.slo.prometheus.source import PrometheusSource
from chaosguard.slo.python_source import PythonSource
from chaosguard.slo.spec import HttpGuard, PrometheusGuard, PythonGuard
from tests.helpers import wait_until
from tests.servers import http_server

PROM = PrometheusGuard(name="p", source="prometheus", url="http://127.0.0.1:9", query="up", max=1)
PY = PythonGuard(name="py", source="python", func="time:time", min=0)


def _http(url: str, name: str) -> HttpGuard:
    return HttpGuard(
        name=name, source="http", url=url, max=500, window_s=2, rate_per_s=20, request_timeout_s=1
    )


def _sampler_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"cg-sampler-guard-{name}-")]


@pytest.mark.parametrize("spec", [PROM, PY, _http("http://127.0.0.1:9/", "h")], ids=str)
def test_every_built_source_has_the_lifecycle(spec: object) -> None:
    source = build_source(spec)  # type: ignore[arg-type]
    assert isinstance(source, SloSource)
    assert isinstance(source, PrometheusSource | HttpSource | PythonSource)
    for method in ("start", "stop", "read", "describe"):
        assert callable(getattr(source, method))
    source.start()
    source.stop()
    source.stop()  # idempotent


def test_a_stopped_prometheus_source_has_closed_its_client() -> None:
    src = PrometheusSource("http://127.0.0.1:9", "up")
    src.start()
    assert not src.client.http.is_closed
    src.stop()
    assert src.client.http.is_closed
    with pytest.raises(SourceUnreadable, match="closed"):
        src.read(timeout_s=1)
    src.stop()  # idempotent


def test_close_and_the_context_manager_stop_the_prometheus_source() -> None:
    src = PrometheusSource("http://127.0.0.1:9", "up")
    src.close()
    assert src.client.http.is_closed
    with PrometheusSource("http://127.0.0.1:9", "up") as other:
        pass
    assert other.client.http.is_closed


def test_the_http_source_starts_and_stops_its_sampler() -> None:
    with http_server({"/": (0.0, 200)}) as (base, _):
        src = HttpSource(_http(base + "/", "lifecycle"))
        with pytest.raises(SourceUnreadable, match="no completed request"):
            src.read(timeout_s=1)  # not started: the window is empty
        assert _sampler_threads("lifecycle") == []
        src.start()
        src.start()  # idempotent: no second set of threads
        assert len(_sampler_threads("lifecycle")) == src.sampler.concurrency
        assert wait_until(lambda: _readable(src), timeout=5)
        src.stop()
        assert _sampler_threads("lifecycle") == []
        count = len(src.sampler.samples(60))
        time.sleep(0.2)  # 20 requests/s: a live sampler would have added ~4
        assert len(src.sampler.samples(60)) == count


def _readable(src: HttpSource) -> bool:
    try:
        return src.read(timeout_s=1).detail["requests"] > 0
    except SourceUnreadable:
        return False


def test_an_empty_window_is_an_error_of_the_tree() -> None:
    sampler = Sampler("empty", HttpTarget(url="http://127.0.0.1:9/"), rate_per_s=1)
    with pytest.raises(NoSamples) as err:
        sampler.stats(1.0)
    assert isinstance(err.value, ChaosGuardError)
    assert "sampler 'empty' has no completed request" in str(err.value)
