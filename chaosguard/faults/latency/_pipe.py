"""One direction of one proxied connection: a FIFO of ``(due, bytes)`` on the worker's schedule.

A pipe whose stream has no delay writes a chunk straight through (unless chunks are still queued
ahead of it). Otherwise it asks its :class:`~chaosguard.faults.latency._toxics.DelayLine` when the
chunk is due and appends it to its FIFO; the head of a non-empty FIFO has one entry in the worker's
:class:`~._sched.Schedule`, which wakes the pipe to write everything already due at once. Delays
therefore overlap (no head-of-line blocking) and order is kept.

Flow control: a pipe stops reading its source while its FIFO holds more than :data:`HIGH_WATER`
bytes (256 KiB) or its destination's write buffer is full, and resumes below :data:`LOW_WATER`
(64 KiB) / when it drains. So one connection holds at most about 2 × (256 KiB + one read) in its
FIFOs, whatever its peers do; the price is a throughput cap under delay of about HIGH_WATER per
latency per direction (256 KiB / 100 ms ≈ 2.5 MiB/s), well above what latency experiments need.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from chaosguard.faults.latency._sched import EARLY, clock
from chaosguard.faults.latency._toxics import DelayLine

if TYPE_CHECKING:
    from chaosguard.faults.latency._proxy import Connection

__all__ = ["HIGH_WATER", "LOW_WATER", "Pipe"]

HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024


class Pipe:
    """One direction of one connection: FIFO of ``(due, bytes)`` released by the schedule."""

    __slots__ = (
        "_conn",
        "_dst",
        "_dst_full",
        "_ending",
        "_lateness",
        "_line",
        "_paused",
        "_proxy",
        "_queue",
        "_queue_full",
        "_queued",
        "_schedule",
        "_src",
        "_stat",
        "done",
        "stream",
    )

    def __init__(
        self, conn: Connection, stream: str, src: asyncio.Transport, dst: asyncio.Transport
    ) -> None:
        self._conn = conn
        self.stream = stream
        self._src = src
        self._dst = dst
        proxy = self._proxy = conn.proxy
        self._schedule = proxy.schedule
        self._lateness = proxy.lateness
        self._stat = "bytes_" + stream
        self._line = DelayLine(proxy.rng)
        self._queue: deque[tuple[float, bytes]] = deque()
        self._queued = 0
        self._ending = ""  # "" | "eof" | "close"
        self.done = False
        self._queue_full = self._dst_full = self._paused = False

    # -- data ----------------------------------------------------------------------------------
    def feed(self, data: bytes, arrived: float = 0.0) -> None:
        """A chunk arrived from the source (at ``arrived``, default now): forward it or queue it."""
        if self.done:
            return
        proxy = self._proxy
        proxy.stats[self._stat] += len(data)
        toxic = proxy.delays[self.stream]
        queue = self._queue
        if toxic is None and not queue:
            self._dst.write(data)
            return
        was_empty = not queue
        now = arrived or clock()
        if toxic is None or toxic.bandwidth_kbps <= 0:
            queue.append((self._line.next_due(toxic, now), data))
        else:
            view, offset = memoryview(data), 0
            for due, length in self._line.plan(toxic, now, len(data)):
                queue.append((due, bytes(view[offset : offset + length])))
                offset += length
        self._queued += len(data)
        if self._queued > HIGH_WATER and not self._queue_full:
            self._queue_full = True
            self._update_reading()
        if was_empty:
            self._schedule.add(self, queue[0][0])

    def release(self, now: float) -> None:
        """The schedule's wake-up: write every chunk due by ``now`` (+ slack) in one write."""
        queue = self._queue
        if self.done or not queue:
            return  # dropped meanwhile
        limit = now + EARLY
        record = self._lateness.record
        due, data = queue.popleft()
        record(now - due)
        if queue and queue[0][0] <= limit:
            out = [data]
            while queue and queue[0][0] <= limit:
                due, data = queue.popleft()
                record(now - due)
                out.append(data)
            data = b"".join(out)
        self._queued -= len(data)
        self._dst.write(data)
        if queue:
            self._schedule.add(self, queue[0][0])
        elif self._ending:
            self._finish()
        if self._queue_full and self._queued < LOW_WATER:
            self._queue_full = False
            self._update_reading()

    # -- flow control --------------------------------------------------------------------------
    def set_dst_full(self, full: bool) -> None:
        """The destination's write buffer crossed its high (``True``) or low (``False``) mark."""
        self._dst_full = full
        self._update_reading()

    def _update_reading(self) -> None:
        want = self._queue_full or self._dst_full
        if want == self._paused or self._src.is_closing():
            return
        self._paused = want
        if want:
            self._src.pause_reading()
        else:
            self._src.resume_reading()

    # -- endings -------------------------------------------------------------------------------
    def end(self, close: bool) -> None:
        """The source ended (EOF, or ``close`` when gone); pass that on once the FIFO is empty."""
        if self.done:
            return
        if close or not self._ending:
            self._ending = "close" if close else "eof"
        if not self._queue:
            self._finish()

    def _finish(self) -> None:
        self.done = True
        dst = self._dst
        if not dst.is_closing():
            if self._ending == "eof" and dst.can_write_eof():
                dst.write_eof()
            else:
                dst.close()
        self._conn.pipe_done()

    def drop(self) -> None:
        """The destination is gone: forget what is queued (its schedule entry then does nothing)."""
        self._queue.clear()
        self._queued = 0
        if not self.done:
            self.done = True
            self._conn.pipe_done()
