"""The NDJSON event stream (``CHAOSGUARD_EVENTS``): one JSON object per line, flushed per line.

Each line is ``{"v": 1, "ts": <epoch s>, "kind": "<kind>", <fields>...}`` (docs/events.md). The
file is opened once per process in append mode (``O_APPEND``: a game day's ``chaos run`` children
append to the runner's stream, line by line) and created ``0600``. Values JSON cannot carry are
written as JSON can: a non-finite number as ``null``, anything else as its ``str``. A field named
like an envelope key (``v``, ``ts``, ``kind``) is written with a trailing underscore (``kind_``).
After a write error the sink says so once and writes nothing more.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any, TextIO

from chaosguard.telemetry.sinks import EVENTS_ENV, SCHEMA_VERSION

__all__ = ["NdjsonSink", "event_line"]

logger = logging.getLogger("chaostoolkit")

_ENVELOPE = ("v", "ts", "kind")


def _plain(value: Any) -> Any:
    """``value`` as JSON can carry it."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return str(value)


def event_line(kind: str, ts: float, fields: Mapping[str, Any]) -> str:
    """One NDJSON line (with its newline) for an event."""
    doc: dict[str, Any] = {"v": SCHEMA_VERSION, "ts": round(ts, 6), "kind": kind}
    for key, value in fields.items():
        doc[f"{key}_" if key in _ENVELOPE else key] = _plain(value)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"


class NdjsonSink:
    """Writes events to a text stream, one line each, flushed at once (thread-safe)."""

    def __init__(self, stream: TextIO | None, target: str) -> None:
        self.target = target
        self._stream = stream  # None: this process's current stderr
        self._lock = threading.Lock()
        self._broken = False

    @classmethod
    def open(cls, target: str) -> NdjsonSink:
        """The sink for ``CHAOSGUARD_EVENTS=target`` (``-``: stderr; else a file, appended to).

        :raises OSError: the file cannot be opened.
        """
        if target == "-":
            return cls(None, "-")
        path = os.path.abspath(os.path.expanduser(target))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return cls(os.fdopen(fd, "a", buffering=1, encoding="utf-8"), path)

    def handle(self, kind: str, ts: float, fields: Mapping[str, Any]) -> None:
        """Write the event's line and flush it."""
        if self._broken:
            return
        try:
            line = event_line(kind, ts, fields)
            with self._lock:
                stream = self._stream if self._stream is not None else sys.stderr
                stream.write(line)
                stream.flush()
        except Exception as exc:
            self._broken = True
            logger.warning(
                "chaosguard: writing to %s=%s failed (%s); no more events are written",
                EVENTS_ENV,
                self.target,
                exc,
            )

    def flush(self, timeout_s: float) -> None:
        """Every line is flushed when written: nothing to do."""

    def child_env(self) -> Mapping[str, str]:
        """A child appends to the same file (stderr: see :mod:`chaosguard.gameday.launch`)."""
        return {EVENTS_ENV: self.target}

    def close(self) -> None:
        """Close the file (never stderr)."""
        if self._stream is not None:
            with self._lock:
                self._stream.close()
            self._broken = True
