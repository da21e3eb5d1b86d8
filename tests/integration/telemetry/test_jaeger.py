"""Traces in a real Jaeger: what the OTLP/HTTP export of a run looks like through Jaeger's query API
(``GET /api/traces?service=NAME``). Each test uses its own service name."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.guarded import value_env
from tests.e2e.test_events import (  # noqa: F401 - upstream is a fixture
    aborting_run,
    gameday_run,
    suite_of_two,
    upstream,
)
from tests.integration.telemetry.jaeger_server import JaegerServer

pytestmark = [pytest.mark.jaeger, pytest.mark.slow]


def _service() -> str:
    return f"cg-test-{uuid.uuid4().hex[:10]}"


def _tags(item: dict[str, Any], key: str = "tags") -> dict[str, Any]:
    return {t["key"]: t["value"] for t in item.get(key) or []}


def _tree(trace: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """(root span, children by parent span id) of a Jaeger trace."""
    children: dict[str, list[dict[str, Any]]] = {}
    root = None
    for span in trace["spans"]:
        parents = [r["spanID"] for r in span.get("references") or [] if r["refType"] == "CHILD_OF"]
        if parents:
            children.setdefault(parents[0], []).append(span)
        else:
            root = span
    assert root is not None, trace
    return root, children


def _events(span: dict[str, Any]) -> list[dict[str, Any]]:
    """The span's events (Jaeger logs), each as its fields (``event``: the event's name)."""
    return [{**_tags(log, "fields"), "_ts": log["timestamp"]} for log in span.get("logs") or []]


def test_an_exported_run_is_the_span_tree_in_jaeger(jaeger: JaegerServer) -> None:
    from chaosguard.telemetry.otel import OtelSink

    service = _service()
    sink = OtelSink.from_env(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.otlp_endpoint, "OTEL_SERVICE_NAME": service}
    )
    t = time.time()
    sink.handle("phase", t, {"phase": "preflight"})
    sink.handle("run-start", t + 0.01, {"run_id": "r1", "title": "T", "policy_digest": "d"})
    sink.handle("phase", t + 0.02, {"phase": "method"})
    sink.handle("activity-start", t + 0.03, {"name": "a", "type": "action", "section": "method"})
    sink.handle("breach", t + 0.04, {"guard": "g", "value": 99.0, "objective": "<= 10"})
    sink.handle("activity-end", t + 0.05, {"name": "a", "status": "interrupted"})
    sink.handle("outcome", t + 0.06, {"outcome": "aborted", "reason": "r", "exit_code": 2})
    sink.handle("run-end", t + 0.07, {})  # flushes, bounded
    traces = jaeger.wait_for_traces(service, spans=4)
    assert len(traces) == 1, traces
    root, children = _tree(traces[0])
    assert root["operationName"] == "experiment"
    assert _tags(root)["chaosguard.outcome"] == "aborted"
    assert {s["operationName"] for s in children[root["spanID"]]} == {"preflight", "method"}
    method = next(s for s in children[root["spanID"]] if s["operationName"] == "method")
    (activity,) = children[method["spanID"]]
    assert activity["operationName"] == "activity: a"
    assert [e["event"] for e in _events(activity)] == ["breach"]


def test_an_aborted_chaos_run_shows_its_tree_and_breach_in_jaeger(
    jaeger: JaegerServer,
    tmp_path: Path,
    chaos_env: dict,
    upstream: str,
    chaosguard_home: Path,
) -> None:
    service = _service()
    env = value_env(
        tmp_path,
        {
            **chaos_env,
            "OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.otlp_endpoint,
            "OTEL_SERVICE_NAME": service,
        },
        1,
    )
    res = aborting_run(tmp_path, env, upstream, chaosguard_home)
    assert res.journal.get("status") == "aborted", res.stderr[-3000:]
    # the run's end flushed the spans before the process exited: they are there now or very soon
    traces = jaeger.wait_for_traces(service, spans=5, timeout_s=15)
    assert len(traces) == 1, traces
    root, children = _tree(traces[0])
    tags = _tags(root)
    assert root["operationName"] == "experiment"
    assert tags["chaostoolkit.experiment.title"] == "events e2e"
    assert tags["chaosguard.run_id"] == res.guard["run_id"]
    assert tags["chaosguard.policy_digest"] == res.guard["policy_digest"]
    assert tags["chaosguard.outcome"] == "aborted" and tags["chaosguard.exit_code"] == 2
    phases = {s["operationName"]: s for s in children[root["spanID"]]}
    assert {"preflight", "watching", "method", "ended", "finished"} <= set(phases), phases
    activities = {s["operationName"]: s for s in children[phases["method"]["spanID"]]}
    assert set(activities) == {"activity: proxy", "activity: long-wait"}
    wait = activities["activity: long-wait"]
    assert _tags(wait)["chaostoolkit.activity.name"] == "long-wait"
    assert _tags(wait)["chaostoolkit.activity.status"] == "interrupted"
    events = _events(wait)
    names = [e["event"] for e in events]
    assert "breach" in names and "revert" in names and "abort" in names, names
    breach = next(e for e in events if e["event"] == "breach")
    assert breach["chaosguard.guard"] == "value" and breach["chaosguard.value"] == 99
    assert breach["chaosguard.objective"]
    revert = next(e for e in events if e["event"] == "revert")
    assert revert["chaosguard.fault.kind"] == "latency-proxy"
    assert revert["chaosguard.revert_latency_s"] >= 0
    assert breach["_ts"] <= revert["_ts"]
    assert any(e["event"] == "reading" and e.get("chaosguard.breached") for e in events)


def test_a_gameday_is_one_trace_with_each_run_under_its_experiment(
    jaeger: JaegerServer, tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    service = _service()
    env = value_env(
        tmp_path,
        {
            **chaos_env,
            "OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.otlp_endpoint,
            "OTEL_SERVICE_NAME": service,
        },
        1,
    )
    env.pop("CHAOSGUARD_POLICY", None)
    result = gameday_run(env, tmp_path, suite_of_two(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    traces = jaeger.wait_for_traces(service, spans=2 + 2 * 6, timeout_s=15)
    assert len(traces) == 1, [len(t["spans"]) for t in traces]
    root, children = _tree(traces[0])
    assert root["operationName"] == "gameday: events-suite"
    assert _tags(root)["chaosguard.verdict"] == 0
    experiments = sorted(children[root["spanID"]], key=lambda s: s["startTime"])
    assert [s["operationName"] for s in experiments] == [
        "experiment: experiment 1",
        "experiment: experiment 2",
    ]
    for i, span in enumerate(experiments, start=1):
        (run,) = children[span["spanID"]]
        assert run["operationName"] == "experiment"
        assert _tags(run)["chaostoolkit.experiment.title"] == f"experiment {i}"
        assert _tags(run)["chaosguard.outcome"] == "met"
        method = next(s for s in children[run["spanID"]] if s["operationName"] == "method")
        assert [s["operationName"] for s in children[method["spanID"]]] == [f"activity: step-{i}"]
