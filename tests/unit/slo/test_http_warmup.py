"""The HTTP sampler's warm-up (issue 10): what costs CPU in this process — building the clients
and starting the request threads — is done before the first request is timed, and a window is
*settled* (learnable by a baseline) only once the sampler has run a whole window."""

from __future__ import annotations

import threading
import time

import pytest

from chaosguard.slo.http import sampler as sampler_module
from chaosguard.slo.http.sampler import Sampler
from chaosguard.slo.http.source import HttpSource
from chaosguard.slo.http.target import HttpTarget, tls_context
from chaosguard.slo.spec import HttpGuard
from tests.helpers import wait_until
from tests.servers import http_server


def _threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"cg-sampler-{name}-")]


def test_prepare_builds_every_client_and_thread_and_times_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[object] = []
    real = sampler_module.client_for

    def counting(*args: object, **kwargs: object) -> object:
        client = real(*args, **kwargs)  # type: ignore[arg-type]
        built.append(client)
        return client

    monkeypatch.setattr(sampler_module, "client_for", counting)
    with http_server({"/": (0.0, 200)}) as (base, _):
        sampler = Sampler("prep", HttpTarget(url=base + "/"), rate_per_s=40, concurrency=8)
        sampler.prepare()
        sampler.prepare()  # idempotent
        assert len(built) == 8 and len(_threads("prep")) == 8
        time.sleep(0.3)  # parked threads request nothing: 40 requests/s would have made ~12
        assert sampler.samples(60) == [] and sampler.started_at is None
        sampler.start()
        assert len(built) == 8  # starting builds nothing more
        assert wait_until(lambda: len(sampler.samples(60)) >= 5)
        sampler.stop()
        assert _threads("prep") == []


def test_a_prepared_sampler_that_never_starts_stops_cleanly() -> None:
    sampler = Sampler("never", HttpTarget(url="http://127.0.0.1:9/"), rate_per_s=10, concurrency=4)
    sampler.prepare()
    assert len(_threads("never")) == 4
    sampler.stop()
    assert _threads("never") == [] and sampler.samples(60) == []


def test_clients_share_one_tls_context_per_setting() -> None:
    verified = HttpTarget(url="https://127.0.0.1:9/")
    assert tls_context(verified) is tls_context(HttpTarget(url="https://example.invalid/"))
    unverified = tls_context(HttpTarget(url="https://127.0.0.1:9/", verify_tls=False))
    assert unverified is not tls_context(verified) and not unverified.check_hostname


def test_a_window_is_settled_only_once_the_sampler_ran_a_whole_window() -> None:
    with http_server({"/": (0.0, 200)}) as (base, _):
        spec = HttpGuard(
            name="settle", source="http", url=base + "/", window_s=2.0, rate_per_s=20, max=500
        )
        src = HttpSource(spec)
        src.prepare()
        src.start()
        try:
            assert wait_until(lambda: _readable(src))
            first = src.read(1)
            assert first.settled is False and first.detail["requests"] >= 1
            assert src.sampler.started_at is not None
            time.sleep(max(0.0, src.sampler.started_at + 2.05 - time.time()))
            assert src.read(1).settled is True
        finally:
            src.stop()


def _readable(src: HttpSource) -> bool:
    try:
        src.read(1)
    except Exception:
        return False
    return True
