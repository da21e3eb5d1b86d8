"""The NDJSON event stream (``CHAOSGUARD_EVENTS``): one JSON object per line, flushed per line.

Each line is ``{"v": 1, "ts": <epoch s>, "kind": "<kind>", <fields>...}`` (docs/events.md). The
file is opened once per process in append mode (``O_APPEND``: a game day's ``chaos run`` children
append to the runner's stream, line by line) and created ``0600``. Values JSON cannot carry are
written as JSON can: a non-finite number as ``null``, anything else as its ``str``. A field named
like an envelope key (``v``, ``ts``, ``kind``) is written with a trailing underscore (``kind_``).
After a write error the sink says so once and writes nothing more.

Lines are written by one writer thread, in order: :meth:`NdjsonSink.handle` only queues, so a
stream that blocks (``-`` on a pipe nobody reads) never holds up the guard's watcher, whose breach
event comes just before it reverts the faults. The run's end (``run-end``, ``suite-end``) and the
process's exit wait, bounded, until the queue is written; beyond :data:`MAX_PENDING` queued lines
new ones are dropped and the drop is counted in the log.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any, TextIO

from chaosguard.telemetry.sinks import EVENTS_ENV, SCHEMA_VERSION

__all__ = ["NdjsonSink", "event_line"]

logger = logging.getLogger("chaostoolkit")

_ENVELOPE = ("v", "ts", "kind")
#: Events after which the stream is flushed (bounded) before the caller goes on.
_ENDS = frozenset({"run-end", "suite-end"})
#: Lines queued at most while the stream does not take them; more are dropped.
MAX_PENDING = 10_000
#: Seconds the end of a run (or the process's exit) waits for queued lines.
FLUSH_TIMEOUT_S = 5.0


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
    """Writes events to a text stream, one line each, flushed at once, by one writer thread."""

    def __init__(self, stream: TextIO | None, target: str) -> None:
        self.target = target
        self._stream = stream  # None: this process's current stderr
        self._cond = threading.Condition()
        self._pending: deque[str] = deque()
        self._writer: threading.Thread | None = None
        self._broken = False
        self._dropped = 0

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
        """Queue the event's line (written by the writer thread); after an end event, wait
        (bounded) until every queued line is written."""
        if self._broken:
            return
        try:
            line = event_line(kind, ts, fields)
        except Exception as exc:
            self._fail(exc)
            return
        with self._cond:
            if len(self._pending) >= MAX_PENDING:
                self._dropped += 1
                return
            self._pending.append(line)
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="chaosguard-events", daemon=True
                )
                self._writer.start()
                atexit.register(self.flush, FLUSH_TIMEOUT_S)
            self._cond.notify_all()
        if kind in _ENDS:
            self.flush(FLUSH_TIMEOUT_S)

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                line = self._pending[0]
            try:
                stream = self._stream if self._stream is not None else sys.stderr
                stream.write(line)
                stream.flush()
            except Exception as exc:
                self._fail(exc)
                return
            with self._cond:
                self._pending.popleft()
                self._cond.notify_all()

    def _fail(self, exc: Exception) -> None:
        with self._cond:
            self._broken = True
            self._pending.clear()
            self._cond.notify_all()
        logger.warning(
            "chaosguard: writing to %s=%s failed (%s); no more events are written",
            EVENTS_ENV,
            self.target,
            exc,
        )

    def flush(self, timeout_s: float) -> None:
        """Wait at most ``timeout_s`` until every queued line is written."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._pending and not self._broken:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            dropped, self._dropped = self._dropped, 0
        if dropped:
            logger.warning("chaosguard: %d events not written to %s", dropped, self.target)

    def child_env(self) -> Mapping[str, str]:
        """A child appends to the same file (stderr: see :mod:`chaosguard.gameday.launch`)."""
        return {EVENTS_ENV: self.target}

    def close(self) -> None:
        """Write what is queued (bounded), then close the file (never stderr)."""
        self.flush(FLUSH_TIMEOUT_S)
        with self._cond:
            self._broken = True
            self._pending.clear()
            self._cond.notify_all()
        if self._stream is not None:
            self._stream.close()
