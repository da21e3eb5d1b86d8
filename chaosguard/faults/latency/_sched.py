"""One deadline-sorted schedule for every held-back chunk of the worker, drained by one timer.

Each :class:`~._pipe.Pipe` with a non-empty FIFO has exactly one entry here: the due time of the
chunk at the head of its FIFO. The worker keeps a single event-loop timer armed for the earliest
entry; when it fires, every pipe whose head is due (within :data:`EARLY`) releases, in due order,
all of its chunks that are due, and re-enters with its next head. So 200 connections cost one
wake-up per due instant instead of one timer object per chunk: fewer allocations, fewer event-loop
turns, fewer garbage-collector runs — the CPU the worker does not use is CPU it does not wait for
on a busy machine.

Timing: due times use :func:`time.monotonic` (µs), not ``loop.time()`` (1 ms steps under uvloop). A
chunk is released once it is less than :data:`EARLY` from due; uvloop rounds timers to whole
milliseconds, so an earlier wake-up simply re-arms for what is left.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol

__all__ = ["EARLY", "Releasable", "Schedule", "clock"]

#: A chunk may leave this much before its due time (timer rounding slack).
EARLY = 0.0005

clock = time.monotonic

_NEVER = float("inf")


class Releasable(Protocol):
    """What the schedule wakes: a pipe that writes out what is due and re-enters if need be."""

    def release(self, now: float) -> None:
        """Write every chunk due by ``now + EARLY``; call :meth:`Schedule.add` for the next."""


class Schedule:
    """A min-heap of ``(due, seq, pipe)`` and the one loop timer armed for its head."""

    __slots__ = ("_armed_for", "_heap", "_loop", "_releasing", "_seq", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._heap: list[tuple[float, int, Releasable]] = []
        self._seq = itertools.count()  # ties on ``due`` never compare pipes
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = _NEVER
        self._releasing = False

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, pipe: Releasable, due: float) -> None:
        """Wake ``pipe`` at ``due`` (a :func:`clock` time)."""
        heapq.heappush(self._heap, (due, next(self._seq), pipe))
        if due < self._armed_for and not self._releasing:
            self._arm(due)

    def _arm(self, due: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._armed_for = due
        self._timer = self._loop.call_later(max(due - clock(), 0.0), self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._armed_for = _NEVER
        heap = self._heap
        self._releasing = True
        try:
            now = clock()
            limit = now + EARLY
            while heap and heap[0][0] <= limit:
                heapq.heappop(heap)[2].release(now)
        finally:
            self._releasing = False
            if heap:
                self._arm(heap[0][0])

    def close(self) -> None:
        """Forget every entry and the timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._armed_for = _NEVER
        self._heap.clear()
