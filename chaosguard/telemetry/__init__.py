"""Run events: one call site per event, any number of sinks (NDJSON stream, OpenTelemetry traces).

Code that does something worth seeing calls :func:`emit`; it costs one global check when no sink
is configured (no ``CHAOSGUARD_EVENTS``, no ``OTEL_EXPORTER_OTLP_*ENDPOINT``), never raises and
never blocks a guard. Sinks are set up once per process, from the environment, on the first
:func:`emit` (:func:`chaosguard.telemetry.sinks.sinks_from_env`); OpenTelemetry is imported only
when traces are configured. Event kinds and their fields are the versioned schema in
docs/events.md; readings are rate-limited before any sink sees them
(:class:`~chaosguard.telemetry.ratelimit.ReadingLimiter`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from chaosguard.telemetry.ratelimit import ReadingLimiter
from chaosguard.telemetry.sinks import EVENTS_ENV, SCHEMA_VERSION, Sink, sinks_from_env

__all__ = [
    "EVENTS_ENV",
    "SCHEMA_VERSION",
    "child_env",
    "emit",
    "enabled",
    "flush",
    "reset",
]

logger = logging.getLogger("chaostoolkit")

#: The sinks of this process: ``None`` until the first :func:`emit` reads the environment.
_sinks: tuple[Sink, ...] | None = None
_setup_lock = threading.Lock()
_limiter = ReadingLimiter()


def _configure() -> tuple[Sink, ...]:
    global _sinks
    with _setup_lock:
        if _sinks is None:
            try:
                _sinks = tuple(sinks_from_env(os.environ))
            except Exception as exc:  # a run never fails because of its telemetry
                logger.warning("chaosguard: events and traces are off: %s", exc)
                _sinks = ()
        return _sinks


def enabled() -> bool:
    """True when some sink is configured (to skip computing costly event fields otherwise)."""
    sinks = _sinks
    if sinks is None:
        sinks = _configure()
    return bool(sinks)


def emit(kind: str, /, **fields: Any) -> None:
    """Publish one event of ``kind`` with ``fields`` to every configured sink.

    Never raises; a sink that fails is told once in the log and stays quiet after. A ``reading``
    may be dropped by the rate limit (docs/events.md says which are kept).
    """
    sinks = _sinks
    if sinks is None:
        sinks = _configure()
    if not sinks:
        return
    try:
        now = time.time()
        if kind == "reading" and not _limiter.allow(fields, time.monotonic()):
            return
        for sink in sinks:
            sink.handle(kind, now, fields)
    except Exception:  # pragma: no cover - sinks catch their own errors; belt and braces
        logger.debug("chaosguard: emitting %s failed", kind, exc_info=True)


def flush(timeout_s: float = 5.0) -> None:
    """Send what the sinks hold (traces), waiting at most ``timeout_s`` seconds."""
    for sink in _sinks or ():
        try:
            sink.flush(timeout_s)
        except Exception:
            logger.debug("chaosguard: flushing a telemetry sink failed", exc_info=True)


def child_env() -> Mapping[str, str]:
    """Variables a child ``chaos run`` needs to continue this process's stream and trace: the
    NDJSON target as an absolute path, ``TRACEPARENT`` of the current span (empty when off)."""
    out: dict[str, str] = {}
    for sink in _sinks or ():
        try:
            out.update(sink.child_env())
        except Exception:
            logger.debug("chaosguard: a telemetry sink has no child environment", exc_info=True)
    return out


def reset() -> None:
    """Close the sinks and forget them: the next :func:`emit` reads the environment again."""
    global _sinks
    with _setup_lock:
        sinks, _sinks = _sinks, None
        _limiter.clear()
    for sink in sinks or ():
        try:
            sink.close()
        except Exception:
            logger.debug("chaosguard: closing a telemetry sink failed", exc_info=True)
