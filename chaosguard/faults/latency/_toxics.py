"""The arithmetic of a toxic: when each chunk of a stream may leave, whether a connection is reset.

Kept free of I/O so the proxy engine stays a thin loop around it and tests can check it directly.

A chunk that arrives at ``t`` is due at ``t + latency ± jitter`` (jitter uniform in ``[-j, +j]``,
the total clipped at 0) — measured from its own arrival, so chunks arriving 20 ms apart leave ~20 ms
apart (no head-of-line blocking). A chunk never leaves before the one ahead of it (order is kept),
so jitter can only stretch gaps, never reorder. With a bandwidth cap, each chunk is cut into slices
that leave one after the other at the capped rate, starting once its latency has passed.
"""

from __future__ import annotations

import random
from typing import Any

from chaosguard.faults.latency.spec import Toxic

__all__ = ["SLICE_MAX", "SLICE_MIN", "DelayLine", "Lateness", "should_reset"]

#: Bandwidth slices: at least 1 KiB, at most 64 KiB, otherwise what the cap lets through in 10 ms.
SLICE_MIN = 1024
SLICE_MAX = 64 * 1024
_SLICE_SECONDS = 0.010


class DelayLine:
    """Due times for the chunks of one stream (one direction of one connection)."""

    __slots__ = ("_last", "_rng")

    def __init__(self, rng: random.Random) -> None:
        self._last = 0.0
        self._rng = rng

    @property
    def last_due(self) -> float:
        """Due time of the latest chunk planned so far (0 before the first)."""
        return self._last

    def delay_s(self, toxic: Toxic) -> float:
        """One draw of latency ± jitter, in seconds, never negative."""
        delay = toxic.latency_ms
        if toxic.jitter_ms > 0:
            delay += self._rng.uniform(-toxic.jitter_ms, toxic.jitter_ms)
        return max(delay, 0.0) / 1000.0

    def next_due(self, toxic: Toxic | None, now: float) -> float:
        """Due time of a whole chunk arriving at ``now`` when no bandwidth cap cuts it in slices.

        The same as the single slice :meth:`plan` returns then, without building a list (the
        per-chunk fast path of the engine).
        """
        due = now if toxic is None else now + self.delay_s(toxic)
        if due < self._last:
            due = self._last
        self._last = due
        return due

    def plan(self, toxic: Toxic | None, now: float, size: int) -> list[tuple[float, int]]:
        """Slices ``(due time, length)`` of a chunk of ``size`` bytes arriving at ``now``.

        ``toxic`` ``None`` means this stream has no delay: the chunk is due now, yet still behind
        the chunks already queued.
        """
        if toxic is None:
            self._last = max(now, self._last)
            return [(self._last, size)]
        start = max(now + self.delay_s(toxic), self._last)
        if toxic.bandwidth_kbps <= 0:
            self._last = start
            return [(start, size)]
        rate = toxic.bandwidth_kbps * 1024.0
        step = int(min(max(rate * _SLICE_SECONDS, SLICE_MIN), SLICE_MAX))
        slices: list[tuple[float, int]] = []
        due = start
        for offset in range(0, size, step):
            length = min(step, size - offset)
            due += length / rate
            slices.append((due, length))
        self._last = due
        return slices


def should_reset(toxic: Toxic, rng: random.Random) -> bool:
    """Roll the dice for one new connection: True means answer it with a TCP reset."""
    p = toxic.reset_probability
    return p >= 1.0 or (p > 0.0 and rng.random() < p)


class Lateness:
    """How late delayed chunks left compared to their due time: a histogram in 0.1 ms steps.

    Evidence of the proxy's own fidelity (``get`` on the control channel). Chunks released early (by
    at most the engine's slack) count as 0; anything from 100 ms on lands in the last bucket.
    """

    __slots__ = ("_buckets", "count", "max_ms")

    STEP_MS = 0.1
    BUCKETS = 1000

    def __init__(self) -> None:
        self._buckets: list[int] = []
        self.count = 0
        self.max_ms = 0.0
        self.reset()

    def reset(self) -> None:
        """Start over (``get`` with ``reset`` on the control channel: one measurement per call)."""
        self._buckets = [0] * (self.BUCKETS + 1)
        self.count = 0
        self.max_ms = 0.0

    def record(self, late_s: float) -> None:
        """Account one chunk released ``late_s`` seconds after it was due."""
        ms = late_s * 1000.0
        self.max_ms = max(self.max_ms, ms)
        index = int(ms * 10.0) if ms > 0 else 0
        self._buckets[min(self.BUCKETS, index)] += 1
        self.count += 1

    def percentile(self, q: float) -> float:
        """Upper edge (ms) of the bucket of the ``q``-th percentile; 0 when nothing was recorded."""
        if not self.count:
            return 0.0
        rank = max(1, int(q / 100.0 * self.count + 0.999999))
        seen = 0
        for index, hits in enumerate(self._buckets):
            seen += hits
            if seen >= rank:
                if index == self.BUCKETS:
                    break
                return round(min((index + 1) * self.STEP_MS, max(self.max_ms, 0.0)), 3)
        return round(self.max_ms, 3)

    def export(self) -> dict[str, Any]:
        """The raw histogram (``{"buckets": {index: hits}, "count", "max_ms"}``), for merging."""
        buckets = {str(i): hits for i, hits in enumerate(self._buckets) if hits}
        return {"buckets": buckets, "count": self.count, "max_ms": self.max_ms}

    def absorb(self, raw: dict[str, Any]) -> None:
        """Add another process's :meth:`export` to this histogram."""
        buckets = raw.get("buckets")
        if isinstance(buckets, dict):
            for index, hits in buckets.items():
                self._buckets[min(self.BUCKETS, int(index))] += int(hits)
        self.count += int(raw.get("count", 0))
        self.max_ms = max(self.max_ms, float(raw.get("max_ms", 0.0)))

    def summary(self) -> dict[str, float]:
        """``{"count", "p50_ms", "p99_ms", "max_ms"}``."""
        return {
            "count": self.count,
            "p50_ms": self.percentile(50),
            "p99_ms": self.percentile(99),
            "max_ms": round(self.max_ms, 3),
        }
