"""The OpenTelemetry sink with the SDK's own in-memory exporter (the network export to a real
Jaeger is tested in tests/integration/telemetry): span tree, span events, attribute names."""

from __future__ import annotations

import threading
import time

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from chaosguard.telemetry.otel import OtelSink, new_provider


def _sink(env: dict | None = None) -> tuple[OtelSink, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = new_provider(env or {})
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OtelSink(provider, env or {}), exporter


def _by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {s.name: s for s in spans}


def _run(sink: OtelSink) -> None:
    t = time.time()
    sink.handle(
        "run-start", t, {"run_id": "r1", "title": "T", "scope": "local", "policy_digest": "d"}
    )
    sink.handle("phase", t + 0.1, {"phase": "watching"})
    sink.handle(
        "activity-start", t + 0.2, {"name": "probe-a", "type": "probe", "section": "hypothesis"}
    )
    sink.handle(
        "activity-end",
        t + 0.3,
        {
            "name": "probe-a",
            "type": "probe",
            "section": "hypothesis",
            "status": "succeeded",
            "duration_s": 0.1,
        },
    )
    sink.handle("phase", t + 0.4, {"phase": "method"})
    sink.handle(
        "activity-start", t + 0.5, {"name": "inject", "type": "action", "section": "method"}
    )
    sink.handle(
        "reading",
        t + 0.6,
        {
            "guard": "g",
            "value": 99.0,
            "objective": "<= 10",
            "violating": True,
            "breached": True,
            "error": None,
        },
    )
    sink.handle(
        "breach",
        t + 0.61,
        {"guard": "g", "value": 99.0, "objective": "<= 10", "reason": "objective violated"},
    )
    sink.handle(
        "revert",
        t + 0.7,
        {
            "fault_kind": "latency-proxy",
            "target": "a -> b",
            "record_id": "x1",
            "ok": True,
            "latency_s": 0.05,
        },
    )
    sink.handle("abort", t + 0.71, {"guard": "g"})
    sink.handle(
        "activity-end",
        t + 0.8,
        {
            "name": "inject",
            "type": "action",
            "section": "method",
            "status": "interrupted",
            "duration_s": 0.3,
        },
    )
    sink.handle("phase", t + 0.9, {"phase": "ended"})
    sink.handle(
        "outcome",
        t + 1.0,
        {
            "outcome": "aborted",
            "reason": "guard 'g' breached",
            "exit_code": 2,
            "status": "aborted",
            "deviated": False,
        },
    )
    sink.handle("run-end", t + 1.1, {})


def test_a_run_is_one_tree_experiment_phase_activity() -> None:
    sink, exporter = _sink()
    _run(sink)
    spans = _by_name(exporter.get_finished_spans())
    assert set(spans) == {
        "experiment",
        "watching",
        "method",
        "ended",
        "activity: probe-a",
        "activity: inject",
    }
    root = spans["experiment"]
    assert root.parent is None
    assert {s.context.trace_id for s in spans.values()} == {root.context.trace_id}
    for phase in ("watching", "method", "ended"):
        assert spans[phase].parent.span_id == root.context.span_id
    assert spans["activity: probe-a"].parent.span_id == spans["watching"].context.span_id
    assert spans["activity: inject"].parent.span_id == spans["method"].context.span_id


def test_attributes_use_chaostoolkit_names_plus_chaosguard_ones() -> None:
    sink, exporter = _sink()
    _run(sink)
    spans = _by_name(exporter.get_finished_spans())
    root = spans["experiment"].attributes
    assert root["chaostoolkit.experiment.title"] == "T"
    assert root["chaostoolkit.experiment.status"] == "aborted"
    assert root["chaosguard.outcome"] == "aborted" and root["chaosguard.exit_code"] == 2
    assert root["chaosguard.run_id"] == "r1" and root["chaosguard.policy_digest"] == "d"
    assert root["chaosguard.breach.guard"] == "g"
    assert spans["experiment"].status.status_code is StatusCode.ERROR
    act = spans["activity: inject"]
    assert act.attributes["chaostoolkit.activity.name"] == "inject"
    assert act.attributes["chaostoolkit.activity.status"] == "interrupted"
    assert act.attributes["chaosguard.activity.section"] == "method"
    assert spans["activity: probe-a"].attributes["chaostoolkit.activity.status"] == "succeeded"


def test_reading_breach_revert_abort_are_events_of_the_running_activity_with_timings() -> None:
    sink, exporter = _sink()
    _run(sink)
    act = _by_name(exporter.get_finished_spans())["activity: inject"]
    events = {e.name: e for e in act.events}
    assert list(events) == ["reading", "breach", "revert", "abort"]
    assert events["breach"].attributes["chaosguard.value"] == 99.0
    assert events["breach"].attributes["chaosguard.objective"] == "<= 10"
    assert events["revert"].attributes["chaosguard.revert_latency_s"] == 0.05
    assert events["revert"].attributes["chaosguard.fault.kind"] == "latency-proxy"
    assert act.start_time < events["breach"].timestamp < events["revert"].timestamp < act.end_time


def test_readings_from_another_thread_land_on_the_span_open_then() -> None:
    sink, exporter = _sink()
    t = time.time()
    sink.handle("run-start", t, {"run_id": "r", "title": "T"})
    sink.handle("phase", t, {"phase": "method"})
    sink.handle("activity-start", t, {"name": "a", "type": "action", "section": "method"})

    def watcher() -> None:
        for i in range(50):
            sink.handle("reading", time.time(), {"guard": "g", "value": float(i)})

    threads = [threading.Thread(target=watcher) for _ in range(4)]  # 200 events: over 128
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    sink.handle("activity-end", time.time(), {"name": "a", "status": "succeeded"})
    sink.handle("reading", time.time(), {"guard": "g", "value": -1.0})
    sink.handle("run-end", time.time(), {})
    spans = _by_name(exporter.get_finished_spans())
    assert len(spans["activity: a"].events) == 200
    assert [e.attributes["chaosguard.value"] for e in spans["method"].events] == [-1.0]


def test_traceparent_makes_the_run_a_child_and_child_env_hands_it_down() -> None:
    suite, suite_spans = _sink()
    t = time.time()
    suite.handle("suite-start", t, {"suite": "s", "experiments": ["one"]})
    suite.handle("experiment-start", t, {"suite": "s", "name": "one", "index": 1})
    env = dict(suite.child_env())
    run, run_spans = _sink(env)
    _run(run)
    suite.handle("experiment-end", time.time(), {"suite": "s", "name": "one", "outcome": "aborted"})
    suite.handle("suite-end", time.time(), {"suite": "s", "verdict": 2, "score": 0.0})
    outer = _by_name(suite_spans.get_finished_spans())
    inner = _by_name(run_spans.get_finished_spans())["experiment"]
    assert set(outer) == {"gameday: s", "experiment: one"}
    assert inner.context.trace_id == outer["gameday: s"].context.trace_id
    assert inner.parent.span_id == outer["experiment: one"].context.span_id
    assert outer["experiment: one"].attributes["chaosguard.outcome"] == "aborted"
    assert outer["gameday: s"].attributes["chaosguard.verdict"] == 2


def test_what_is_open_at_exit_is_ended_as_unfinished() -> None:
    sink, exporter = _sink()
    t = time.time()
    sink.handle("run-start", t, {"run_id": "r"})
    sink.handle("activity-start", t, {"name": "a", "type": "action", "section": "method"})
    sink.close()
    spans = _by_name(exporter.get_finished_spans())
    assert spans["experiment"].attributes["chaosguard.unfinished"] == "unfinished"
    assert spans["activity: a"].parent.span_id == spans["experiment"].context.span_id
