"""Traces of guarded runs over OTLP/HTTP (imported only when ``OTEL_*`` asks for traces).

The span tree of one ``chaos run``::

    experiment                      run-start … run-end (root; its parent is $TRACEPARENT if set)
    ├── preflight | watching | method | rollbacks | ended | finished      one span per phase
    │   └── activity: <name>        activity-start … activity-end
    └── (events) reading · baseline · breach · revert · abort on the innermost open span

and of ``chaos gameday run``: ``gameday: <suite>`` → ``experiment: <name>`` per experiment, whose
``TRACEPARENT`` the child ``chaos run`` gets (:meth:`OtelSink.child_env`): a suite is one trace.

Events come from several threads (the watcher reads guards on its own): the bookkeeping is under
one lock and spans are chosen explicitly, never from the thread's current context. Spans are
exported by the SDK's batch processor on its own thread; ``run-end`` (and process exit) ends what is
still open and flushes, bounded by :data:`FLUSH_TIMEOUT_S` (the SDK's own ``force_flush`` ignores
its timeout, so it runs on a helper thread that is waited for at most that long).
"""

from __future__ import annotations

import atexit
import logging
import os
import platform
import threading
import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from chaosguard.telemetry.attributes import attribute_value, event_attributes

__all__ = ["DEFAULT_SERVICE", "FLUSH_TIMEOUT_S", "MAX_EVENTS", "OtelSink", "new_provider"]

logger = logging.getLogger("chaostoolkit")

DEFAULT_SERVICE = "chaosguard"
#: At most this long is waited for the spans to be sent at the end of a run (and at exit).
FLUSH_TIMEOUT_S = 5.0
#: Span events kept per span (unless ``$OTEL_SPAN_EVENT_COUNT_LIMIT`` says otherwise).
MAX_EVENTS = 10_000
#: Kinds that end the trace of this process (and flush it).
_ENDS = frozenset({"run-end", "suite-end"})
_FAILED = frozenset({"failed", "refused", "interrupted"})


def _ns(ts: float) -> int:
    return int(ts * 1e9)


def _endpoint(env: Mapping[str, str]) -> str:
    traces = (env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or "").strip()
    if traces:
        return traces
    return (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "").strip().rstrip("/") + "/v1/traces"


def new_provider(env: Mapping[str, str]) -> TracerProvider:
    """A tracer provider of service ``$OTEL_SERVICE_NAME`` (default ``chaosguard``), not the global
    one (other instrumentation in the process keeps its own), holding up to
    ``$OTEL_SPAN_EVENT_COUNT_LIMIT`` events per span (default :data:`MAX_EVENTS`, not the SDK's 128:
    a long action under a 1 s guard has more readings than that, and the breach comes last)."""
    service = (env.get("OTEL_SERVICE_NAME") or "").strip() or DEFAULT_SERVICE
    limit = (env.get("OTEL_SPAN_EVENT_COUNT_LIMIT") or "").strip()
    return TracerProvider(
        resource=Resource.create({"service.name": service}),
        span_limits=SpanLimits(max_events=int(limit) if limit.isdigit() else MAX_EVENTS),
        shutdown_on_exit=False,
    )


class OtelSink:
    """Turns events into spans and span events (thread-safe)."""

    def __init__(self, provider: TracerProvider, env: Mapping[str, str]) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer("chaosguard")
        self._traceparent = (env.get("TRACEPARENT") or "").strip()
        self._lock = threading.RLock()
        self._root: Span | None = None
        self._section: Span | None = None  # the phase (or the game day's experiment) span
        self._activities: list[tuple[str, Span]] = []  # open activity spans, oldest first
        self._pid = os.getpid()
        atexit.register(self.close)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OtelSink:
        """A sink exporting to the endpoint ``env`` names (service ``$OTEL_SERVICE_NAME``)."""
        provider = new_provider(env)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=_endpoint(env))))
        return cls(provider, env)

    # -- spans ------------------------------------------------------------------------------------
    def _start(self, name: str, parent: Span | None, ts: float, attrs: dict[str, Any]) -> Span:
        if parent is not None:
            context = trace.set_span_in_context(parent)
        elif self._traceparent:
            context = TraceContextTextMapPropagator().extract({"traceparent": self._traceparent})
        else:
            context = None
        return self._tracer.start_span(name, context=context, attributes=attrs, start_time=_ns(ts))

    def _ensure_root(self, ts: float, name: str = "experiment") -> Span:
        if self._root is None:
            attrs = {"chaostoolkit.platform.full": platform.platform()}
            self._root = self._start(name, None, ts, attrs)
        return self._root

    def _innermost(self, ts: float) -> Span:
        if self._activities:
            return self._activities[-1][1]
        return self._section or self._ensure_root(ts)

    def _end_section(self, ts: float) -> None:
        if self._section is not None:
            self._section.end(end_time=_ns(ts))
            self._section = None

    def _end_all(self, ts: float, why: str | None = None) -> None:
        for _, span in reversed(self._activities):
            if why:
                span.set_attribute("chaostoolkit.activity.status", why)
            span.end(end_time=_ns(ts))
        self._activities.clear()
        self._end_section(ts)
        if self._root is not None:
            if why:
                self._root.set_attribute("chaosguard.unfinished", why)
            self._root.end(end_time=_ns(ts))
            self._root = None

    # -- events -----------------------------------------------------------------------------------
    def handle(self, kind: str, ts: float, fields: Mapping[str, Any]) -> None:
        """Open, annotate or close spans for one event."""
        try:
            with self._lock:
                self._handle(kind, ts, fields)
            if kind in _ENDS:
                self.flush(FLUSH_TIMEOUT_S)
        except Exception:
            logger.debug("chaosguard: tracing event %s failed", kind, exc_info=True)

    def _handle(self, kind: str, ts: float, fields: Mapping[str, Any]) -> None:
        attrs = event_attributes(kind, fields)
        if kind in ("run-start", "outcome", "suite-end"):
            root = self._ensure_root(ts)
            root.set_attributes(attrs)
            code = fields.get("exit_code", fields.get("verdict"))
            if kind != "run-start" and isinstance(code, int) and code != 0:
                what = fields.get("outcome", f"verdict {code}")
                reason = fields.get("reason")
                root.set_status(Status(StatusCode.ERROR, f"{what}: {reason}" if reason else what))
            if kind == "suite-end":
                self._end_all(ts)
        elif kind == "suite-start":
            self._ensure_root(ts, f"gameday: {fields.get('suite')}").set_attributes(attrs)
        elif kind == "phase":
            root = self._ensure_root(ts)
            self._end_section(ts)
            self._section = self._start(str(fields.get("phase")), root, ts, attrs)
        elif kind == "experiment-start":
            root = self._ensure_root(ts)
            self._end_section(ts)
            self._section = self._start(f"experiment: {fields.get('name')}", root, ts, attrs)
        elif kind == "experiment-end":
            if self._section is not None:
                self._section.set_attributes(attrs)
            self._end_section(ts)
        elif kind == "activity-start":
            parent = self._section or self._ensure_root(ts)
            name = str(fields.get("name"))
            self._activities.append((name, self._start(f"activity: {name}", parent, ts, attrs)))
        elif kind == "activity-end":
            self._end_activity(ts, fields, attrs)
        elif kind == "run-end":
            self._end_all(ts)
        else:  # reading, baseline, breach, revert, abort, and kinds added later
            span = self._innermost(ts)
            span.add_event(kind, attrs, timestamp=_ns(ts))
            if kind in ("breach", "abort"):  # what stopped the run, on the root too
                root = self._ensure_root(ts)
                root.set_attributes(
                    {
                        f"chaosguard.{kind}.{k.removeprefix('chaosguard.')}": v
                        for k, v in attrs.items()
                    }
                )

    def _end_activity(self, ts: float, fields: Mapping[str, Any], attrs: dict[str, Any]) -> None:
        name = str(fields.get("name"))
        for i, (open_name, span) in enumerate(self._activities):
            if open_name == name:
                del self._activities[i]
                span.set_attributes(attrs)
                if fields.get("status") in _FAILED:
                    span.set_status(Status(StatusCode.ERROR, str(fields.get("status"))))
                span.end(end_time=_ns(ts))
                return

    # -- flushing ---------------------------------------------------------------------------------
    def flush(self, timeout_s: float) -> None:
        """Export the ended spans, waiting at most ``timeout_s`` (the export goes on meanwhile)."""
        done = threading.Thread(
            target=self._provider.force_flush, name="chaosguard-trace-flush", daemon=True
        )
        done.start()
        done.join(timeout_s)
        if done.is_alive():
            logger.warning(
                "chaosguard: traces were not all sent within %g s (is the OTLP endpoint up?)",
                timeout_s,
            )

    def child_env(self) -> Mapping[str, str]:
        """``TRACEPARENT`` of the innermost open span (a game day's experiment span)."""
        with self._lock:
            span = self._section or self._root
            if span is None:
                return {}
            carrier: dict[str, str] = {}
            TraceContextTextMapPropagator().inject(carrier, trace.set_span_in_context(span))
        value = attribute_value(carrier.get("traceparent"))
        return {"TRACEPARENT": value} if isinstance(value, str) else {}

    def close(self) -> None:
        """End what is still open (marked unfinished) and flush; the sink stays usable. Not in a
        forked child (its copies of the spans are the parent's to end)."""
        if os.getpid() != self._pid:
            return
        try:
            with self._lock:
                open_spans = self._root is not None
                self._end_all(time.time(), "unfinished" if open_spans else None)
            if open_spans:
                self.flush(FLUSH_TIMEOUT_S)
        except Exception:
            logger.debug("chaosguard: closing the trace failed", exc_info=True)
