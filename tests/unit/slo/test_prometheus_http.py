"""PrometheusSource's HTTP side against a scripted loopback server.

Errors, authentication, timeouts and keep-alive.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from chaosguard.errors import InvalidArgument
from chaosguard.slo.base import SourceUnreadable
from chaosguard.slo.prometheus.client import query_value, single_value
from chaosguard.slo.prometheus.source import PrometheusSource

Reply = tuple[int, str, bytes]  # status, content type, body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        srv = self.server
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        srv.requests.append(
            {
                "path": url.path,
                "params": params,  # type: ignore[attr-defined]
                "auth": self.headers.get("Authorization"),
                "port": self.client_address[1],
            }
        )
        result = srv.script(url.path, params)  # type: ignore[attr-defined]
        if result is None:
            time.sleep(10)  # hang
            return
        if callable(result):
            result(self)
            return
        status, ctype, body = result
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def fake_prometheus(
    script: Callable[[str, dict], Reply | Callable | None],
) -> Iterator[tuple[str, list]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.script = script  # type: ignore[attr-defined]
    server.requests = []  # type: ignore[attr-defined]
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def ok(data: dict) -> Reply:
    return 200, "application/json", json.dumps({"status": "success", "data": data}).encode()


def vector(*samples: tuple[dict, float, str]) -> Reply:
    return ok(
        {
            "resultType": "vector",
            "result": [{"metric": m, "value": [ts, v]} for m, ts, v in samples],
        }
    )


def test_value_then_freshness_at_the_same_instant_over_one_connection() -> None:
    def script(path: str, params: dict) -> Reply:
        if "chaosguard_input" in params["query"]:
            return vector(
                ({"chaosguard_input": "0"}, 1000.0, "990.5"),
                ({"chaosguard_input": "1"}, 1000.0, "998"),
            )
        return vector(({"__name__": "x"}, 1000.0, "0.25"))

    with fake_prometheus(script) as (url, requests):
        src = PrometheusSource(url + "/prom/", "x + y", max_staleness_s=30, bearer_token="t0ken")
        obs = src.read(timeout_s=5)
        src.read(timeout_s=5)
    assert obs.value == 0.25
    assert obs.at == 990.5  # the stalest input counts
    assert obs.detail == {
        "evaluated_at": 1000.0,
        "labels": {"__name__": "x"},
        "age_s": 9.5,
        "inputs": {"x": 990.5, "y": 998.0},
    }
    assert [r["path"] for r in requests] == ["/prom/api/v1/query"] * 4
    assert "time" not in requests[0]["params"] and requests[1]["params"]["time"] == "1000.000"
    assert {r["auth"] for r in requests} == {"Bearer t0ken"}
    assert len({r["port"] for r in requests}) == 1  # keep-alive: one connection for everything


def test_stale_inputs() -> None:
    answers = {"fresh": [({"chaosguard_input": "0"}, 1000.0, "960")]}

    def script(path: str, params: dict) -> Reply:
        if "chaosguard_input" in params["query"]:
            return vector(*answers["fresh"])
        return vector(({}, 1000.0, "1"))

    with fake_prometheus(script) as (url, _):
        src = PrometheusSource(url, 'up{job="a"}', max_staleness_s=30)
        stale = r'stale data: newest sample .* 40\.0s old.*oldest input: up\{job="a"\}'
        with pytest.raises(SourceUnreadable, match=stale):
            src.read(timeout_s=5)
        answers["fresh"] = []
        with pytest.raises(
            SourceUnreadable, match=r'stale data: no sample of up\{job="a"\} in the last 50s'
        ):
            src.read(timeout_s=5)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            (500, "text/html", b"<html>oops</html>"),
            "query: HTTP 500 Internal Server Error from http://127.0.0.1:",
        ),
        ((401, "text/plain", b"unauthorized"), "HTTP 401 Unauthorized"),
        ((302, "text/plain", b""), "HTTP 302 Found"),
        ((200, "text/html", b"<html>grafana</html>"), "not a Prometheus API answer"),
        (
            (200, "application/json", b'{"status": "success", "data": []}'),
            "not a Prometheus API answer",
        ),
        (
            (
                422,
                "application/json",
                b'{"status":"error","errorType":"execution","error":"many-to-many\\nmatching"}',
            ),
            "query: Prometheus error (execution): many-to-many matching",
        ),
        (
            (
                503,
                "application/json",
                b'{"status":"error","errorType":"timeout","error":"query timed out"}',
            ),
            "Prometheus error (timeout): query timed out",
        ),
    ],
)
def test_error_answers_are_one_line(reply: Reply, message: str) -> None:
    with fake_prometheus(lambda p, q: reply) as (url, _), pytest.raises(SourceUnreadable) as err:
        PrometheusSource(url, "x").read(timeout_s=5)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_hung_server_is_bounded_by_the_timeout() -> None:
    with fake_prometheus(lambda p, q: None) as (url, _):
        started = time.monotonic()
        with pytest.raises(SourceUnreadable, match=r"no answer from .* within 0\.5s"):
            PrometheusSource(url, "x").read(timeout_s=0.5)
        assert time.monotonic() - started < 0.5 + 2.0


def test_a_trickling_answer_is_cut_at_the_deadline() -> None:
    def trickle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)

    with fake_prometheus(lambda p, q: trickle) as (url, _):
        started = time.monotonic()
        with pytest.raises(SourceUnreadable, match="no answer"):
            PrometheusSource(url, "x").read(timeout_s=0.6)
        assert time.monotonic() - started < 0.6 + 2.0


def test_the_value_and_freshness_share_the_budget() -> None:
    def script(path: str, params: dict) -> Reply | None:
        if "chaosguard_input" in params["query"]:
            return None  # the second request hangs
        return vector(({}, 1000.0, "1"))

    with fake_prometheus(script) as (url, _):
        started = time.monotonic()
        with pytest.raises(SourceUnreadable, match="freshness query: no answer"):
            PrometheusSource(url, "x").read(timeout_s=0.6)
        assert time.monotonic() - started < 0.6 + 2.0


def test_connection_refused_is_quick_and_clear() -> None:
    with fake_prometheus(lambda p, q: vector()) as (url, _):
        pass  # closed: nothing listens there any more
    started = time.monotonic()
    with pytest.raises(SourceUnreadable, match=f"query: cannot connect to {url}"):
        PrometheusSource(url, "x").read(timeout_s=3)
    assert time.monotonic() - started < 3


def test_credentials_never_show() -> None:
    src = PrometheusSource("http://user:pa55@127.0.0.1:9/", "x", bearer_token="s3cret")
    text = src.describe() + repr(src)
    assert "pa55" not in text and "s3cret" not in text and "127.0.0.1:9" in text
    with pytest.raises(SourceUnreadable) as err:
        src.read(timeout_s=2)
    assert "pa55" not in str(err.value) and "s3cret" not in str(err.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"resultType": "vector", "result": []}, "query returned no sample"),
        (
            {
                "resultType": "vector",
                "result": [
                    {"metric": {"a": str(i), "job": "j"}, "value": [1, "1"]} for i in range(5)
                ],
            },
            'query returned 5 samples ({a="0"}, {a="1"}, {a="2"}, ...); a guard needs exactly one',
        ),
        ({"resultType": "vector", "result": [{"metric": {}, "value": [1, "NaN"]}]}, "NaN"),
        ({"resultType": "scalar", "result": [1, "+Inf"]}, r"\+Inf"),
        ({"resultType": "scalar", "result": [1, "abc"]}, "not a number"),
        ({"resultType": "vector", "result": [{"metric": {}}]}, "malformed sample"),
        ({"resultType": "matrix", "result": []}, "range vector"),
        ({"resultType": "string", "result": [1, "s"]}, "string result"),
        ({}, "missing result"),
    ],
)
def test_single_value_rejects(data: dict, message: str) -> None:
    with pytest.raises(
        SourceUnreadable,
        match=message.replace("(", r"\(").replace(")", r"\)") if "..." in message else message,
    ):
        single_value(data)


def test_single_value_accepts() -> None:
    assert single_value({"resultType": "scalar", "result": [12.5, "3"]}) == (3.0, 12.5, {})
    assert single_value(
        {"resultType": "vector", "result": [{"metric": {"a": "b"}, "value": [1, "-0.5"]}]}
    ) == (-0.5, 1.0, {"a": "b"})


def test_constructor_validation_names_the_field() -> None:
    for kwargs, field in [
        ({"url": "ftp://x"}, "url"),
        ({"query": " "}, "query"),
        ({"max_staleness_s": 0}, "max_staleness_s"),
        ({"bearer_token": "a\nb"}, "bearer_token"),
        ({"freshness_query": ""}, "freshness_query"),
    ]:
        args = {"url": "http://127.0.0.1:9090", "query": "x", **kwargs}
        with pytest.raises(InvalidArgument) as err:
            PrometheusSource(**args)
        assert err.value.field == field
    with pytest.raises(InvalidArgument, match="'timeout_s'"):
        PrometheusSource("http://127.0.0.1:9090", "x").read(timeout_s=0)


def test_query_value_is_a_one_shot_read() -> None:
    with fake_prometheus(lambda p, q: vector(({}, 1.0, "42"))) as (url, requests):
        assert query_value(url, "x", timeout_s=2, bearer_token="abc") == 42.0
    assert len(requests) == 1 and requests[0]["auth"] == "Bearer abc"


@pytest.mark.parametrize(
    ("answer", "at"),
    [
        (ok({"resultType": "scalar", "result": [1000.0, "995"]}), 995.0),
        (vector(({"instance": "a"}, 1000.0, "999"), ({"instance": "b"}, 1000.0, "994")), 994.0),
    ],
)
def test_custom_freshness_query_smallest_value_counts(answer: Reply, at: float) -> None:
    def script(path: str, params: dict) -> Reply:
        return answer if params["query"] == "fresh" else vector(({}, 1000.0, "1"))

    with fake_prometheus(script) as (url, requests):
        obs = PrometheusSource(url, "x", max_staleness_s=10, freshness_query="fresh").read(
            timeout_s=5
        )
        assert obs.at == at and obs.detail["inputs"] == {"freshness_query": at}
        with pytest.raises(SourceUnreadable, match=r"stale data: .* more than max_staleness_s=3$"):
            PrometheusSource(url, "x", max_staleness_s=3, freshness_query="fresh").read(timeout_s=5)
    assert requests[1]["params"] == {"query": "fresh", "time": "1000.000"}
