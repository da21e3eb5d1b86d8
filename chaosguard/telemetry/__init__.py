"""Run events: one call site per event, any number of sinks (NDJSON stream, OpenTelemetry traces).

Code that does something worth seeing calls :func:`emit`; it costs one attribute check when no sink
is configured (no ``CHAOSGUARD_EVENTS``, no ``OTEL_*``), never raises and never blocks a guard.
Event kinds and their fields are the versioned schema in docs/events.md.
"""

from __future__ import annotations

from typing import Any

__all__ = ["emit"]


def emit(kind: str, **fields: Any) -> None:
    """Publish one event of ``kind`` with ``fields`` to every configured sink (none yet)."""
    return None
