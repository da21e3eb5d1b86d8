"""HTTP probes and the background sampler against a real loopback server."""

from __future__ import annotations

import time

import pytest
from chaoslib.exceptions import ActivityFailed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosguard.actions.sampler import start_http_sampler, stop_http_sampler
from chaosguard.errors import InvalidArgument
from chaosguard.probes.http import (
    http_error_ratio,
    http_latency_percentile,
    http_measure,
    http_status,
    sampled_error_ratio,
    sampled_latency_percentile,
    sampled_stats,
)
from tests.helpers import wait_until
from tests.servers import http_server

ROUTES = {"/": (0.0, 200), "/slow": (0.12, 200), "/fail": (0.0, 503)}


def test_status_and_connection_failure() -> None:
    with http_server(ROUTES) as (base, _):
        assert http_status(base + "/") == 200
        assert http_status(base + "/fail") == 503
    assert http_status(base + "/", timeout_s=0.5) == 0  # server gone: transport error


def test_latency_percentile_sees_the_delay() -> None:
    with http_server(ROUTES) as (base, _):
        fast = http_latency_percentile(base + "/", 50, requests=10)
        slow = http_latency_percentile(base + "/slow", 50, requests=6, concurrency=3)
        slow_p95 = http_latency_percentile(base + "/slow", 95, requests=6, concurrency=3)
    assert slow >= 120.0 and slow_p95 >= slow
    assert (
        fast < slow
    )  # medians: a busy CI machine can make one fast request slow, not half of them


def test_timeouts_are_errors_and_slow() -> None:
    with http_server({"/hang": (1.5, 200)}) as (base, _):
        stats = http_measure(base + "/hang", requests=2, concurrency=2, timeout_s=0.2)
    assert stats["error_ratio"] == 1.0
    assert stats["p50_ms"] >= 200.0


def test_error_ratio_uses_max_ok_status() -> None:
    with http_server(ROUTES) as (base, _):
        assert http_error_ratio(base + "/fail", requests=4) == 1.0
        assert http_error_ratio(base + "/fail", requests=4, max_ok_status=503) == 0.0
        assert http_error_ratio(base + "/", requests=4) == 0.0


def _quiet(read, default=0.0):
    """``read()`` or ``default`` while the window is still empty."""
    try:
        return read()
    except ActivityFailed:
        return default


def test_sampler_window_follows_the_target() -> None:
    with http_server(ROUTES) as (base, routes):
        start_http_sampler("svc", base + "/", rate_per_s=40, concurrency=4)
        try:
            assert wait_until(
                lambda: _quiet(lambda: sampled_stats("svc", 1.0)["requests"]) >= 10, timeout=5
            )
            assert sampled_error_ratio("svc", 1.0) == 0.0
            routes["/"] = (0.0, 500)
            assert wait_until(lambda: sampled_error_ratio("svc", 0.5) == 1.0, timeout=5)
            routes["/"] = (0.15, 200)
            assert wait_until(lambda: sampled_latency_percentile("svc", 50, 0.6) >= 150, timeout=5)
        finally:
            assert stop_http_sampler("svc") is True
    assert stop_http_sampler("svc") is False


def test_sampler_with_no_completed_request_fails_closed() -> None:
    with http_server({"/hang": (3.0, 200)}) as (base, _):
        start_http_sampler("hang", base + "/hang", rate_per_s=5, timeout_s=2.5)
        try:
            time.sleep(0.3)
            with pytest.raises(ActivityFailed, match="no completed request"):
                sampled_latency_percentile("hang", 95, window_s=0.2)
        finally:
            stop_http_sampler("hang")


def test_unknown_sampler_names_the_field() -> None:
    with pytest.raises(InvalidArgument, match=r"'name'.*running: none|'name'"):
        sampled_error_ratio("nope")


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    url=st.one_of(
        st.text(max_size=30), st.sampled_from(["ftp://h/", "http://", "localhost:80", "//x"])
    ),
)
def test_fuzzed_urls_are_one_line_errors(url: str) -> None:
    try:
        http_status(url, timeout_s=0.2)
    except InvalidArgument as err:
        assert err.field == "url" and "\n" not in str(err)
    else:  # a valid URL that nothing answers (or a real local one): must not raise
        pass


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: http_measure("http://127.0.0.1:1/", requests=0), "requests"),
        (lambda: http_measure("http://127.0.0.1:1/", concurrency=0), "concurrency"),
        (lambda: http_latency_percentile("http://127.0.0.1:1/", percentile=0), "percentile"),
        (lambda: http_status("http://127.0.0.1:1/", timeout_s=-1), "timeout_s"),
        (lambda: http_status("http://127.0.0.1:1/", method="BREW"), "method"),
        (lambda: start_http_sampler("x", "http://127.0.0.1:1/", rate_per_s=0), "rate_per_s"),
        (lambda: start_http_sampler("", "http://127.0.0.1:1/"), "name"),
        (lambda: sampled_stats("x", window_s=0), "window_s"),
    ],
)
def test_bad_arguments_name_the_field(call, field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        call()
    assert err.value.field == field
