"""The rate limit of guard readings in the event stream and the traces.

A guard is read every ``interval_s`` (0.2 s in tests, 1 s by default, and by several guards at
once): every reading in a CI log or a trace would drown the rest. Per guard, a reading is kept when

- it is *interesting*: violating, breached, unreadable (``error``) or anomalous; or
- it is the first healthy one after an interesting one (the recovery shows); or
- it is the guard's first reading, or at least :data:`MIN_GAP_S` seconds passed since the last
  reading of that guard that was kept.

So at most one healthy reading per guard per second, plus every interesting one.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["MIN_GAP_S", "ReadingLimiter"]

#: Seconds between two healthy readings of one guard that are kept.
MIN_GAP_S = 1.0


def _interesting(fields: Mapping[str, Any]) -> bool:
    return bool(
        fields.get("violating")
        or fields.get("breached")
        or fields.get("error")
        or fields.get("anomalous")
    )


class ReadingLimiter:
    """Decides which readings are published (thread-safe: readings come from the watcher)."""

    def __init__(self, min_gap_s: float = MIN_GAP_S) -> None:
        self.min_gap_s = min_gap_s
        self._lock = threading.Lock()
        self._last: dict[str, tuple[float, bool]] = {}  # guard → (kept at, was interesting)

    def allow(self, fields: Mapping[str, Any], now: float) -> bool:
        """Whether the reading ``fields`` (at monotonic time ``now``) is published."""
        guard = str(fields.get("guard"))
        interesting = _interesting(fields)
        with self._lock:
            last = self._last.get(guard)
            keep = (
                interesting
                or last is None
                or last[1]  # the first healthy reading after an interesting one
                or now - last[0] >= self.min_gap_s
            )
            if keep:
                self._last[guard] = (now, interesting)
            return keep

    def clear(self) -> None:
        """Forget every guard (a new run)."""
        with self._lock:
            self._last.clear()
