"""Which sinks a process has, read once from its environment.

======================================  ============================================================
variable                                effect
======================================  ============================================================
``CHAOSGUARD_EVENTS=FILE``              NDJSON events appended to FILE (created 0600)
``CHAOSGUARD_EVENTS=-``                 NDJSON events on stderr
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``  traces over OTLP/HTTP to this URL (used as is)
``OTEL_EXPORTER_OTLP_ENDPOINT``         traces to this base URL + ``/v1/traces``
``OTEL_SDK_DISABLED=true``              no traces, whatever else is set
``OTEL_TRACES_EXPORTER=none``           no traces, whatever else is set
``OTEL_SERVICE_NAME``                   the service of the traces (default ``chaosguard``)
======================================  ============================================================

Every other ``OTEL_*`` variable the OTLP/HTTP exporter and the batch span processor read
(headers, timeout, compression, certificates, ``OTEL_BSP_*``) applies as the SDK documents it.
A sink that cannot start (a FILE that cannot be opened) is reported in one warning line and left
out: a run never fails because of its telemetry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["EVENTS_ENV", "SCHEMA_VERSION", "Sink", "sinks_from_env", "traces_configured"]

logger = logging.getLogger("chaostoolkit")

#: The variable naming the NDJSON event stream (a file, or ``-`` for stderr).
EVENTS_ENV = "CHAOSGUARD_EVENTS"
#: The version of the event schema (the ``v`` of every NDJSON line; docs/events.md).
SCHEMA_VERSION = 1


class Sink(Protocol):
    """Where events go. Every method is thread-safe and never raises."""

    def handle(self, kind: str, ts: float, fields: Mapping[str, Any]) -> None:
        """Take one event (``ts``: epoch seconds)."""
        ...

    def flush(self, timeout_s: float) -> None:
        """Send what is held, waiting at most ``timeout_s``."""
        ...

    def child_env(self) -> Mapping[str, str]:
        """Variables a child ``chaos run`` needs to continue this sink's stream or trace."""
        ...

    def close(self) -> None:
        """Flush and release what the sink holds."""
        ...


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def traces_configured(env: Mapping[str, str]) -> bool:
    """Whether ``env`` asks for traces: an OTLP endpoint is set, the SDK is not disabled and the
    traces exporter is not ``none``."""
    if _true(env.get("OTEL_SDK_DISABLED")):
        return False
    exporters = {e.strip().lower() for e in (env.get("OTEL_TRACES_EXPORTER") or "").split(",")}
    if "none" in exporters:
        return False
    return bool(
        (env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or "").strip()
        or (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "").strip()
    )


def sinks_from_env(env: Mapping[str, str]) -> list[Sink]:
    """The sinks ``env`` configures (none: an empty list, and nothing heavy imported)."""
    sinks: list[Sink] = []
    target = (env.get(EVENTS_ENV) or "").strip()
    if target:
        from chaosguard.telemetry.ndjson import NdjsonSink

        try:
            sinks.append(NdjsonSink.open(target))
        except OSError as exc:
            logger.warning(
                "chaosguard: %s=%s cannot be opened (%s): no events are written; the run goes on",
                EVENTS_ENV,
                target,
                exc.strerror or exc,
            )
    if traces_configured(env):
        try:
            from chaosguard.telemetry.otel import OtelSink

            sinks.append(OtelSink.from_env(env))
        except Exception as exc:  # a missing or broken SDK must not fail the run
            logger.warning(
                "chaosguard: traces are off: the OpenTelemetry exporter could not start (%s: %s)",
                type(exc).__name__,
                exc,
            )
    return sinks
