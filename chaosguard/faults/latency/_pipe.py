"""One direction of one proxied connection: a FIFO of ``(due, bytes)`` drained by one timer.

A pipe whose stream has no delay writes a chunk straight through (unless chunks are still queued
ahead of it). Otherwise it asks its :class:`~chaosguard.faults.latency._toxics.DelayLine` when the
chunk is due, appends it to its FIFO and keeps a single timer armed for the head of the FIFO; the
timer writes everything already due at once. Delays therefore overlap (no head-of-line blocking) and
order is kept.

Timing: due times use :func:`time.monotonic` (µs), not ``loop.time()`` (1 ms steps under uvloop). A
chunk is released once it is less than :data:`EARLY` from due; uvloop rounds timers to whole
milliseconds, so an earlier wake-up simply re-arms — there is no spinning.

Flow control: a pipe stops reading its source while its FIFO holds more than :data:`HIGH_WATER`
bytes (256 KiB) or its destination's write buffer is full, and resumes below :data:`LOW_WATER`
(64 KiB) / when it drains. So one connection holds at most about 2 × (256 KiB + one read) in its
FIFOs, whatever its peers do; the price is a throughput cap under delay of about HIGH_WATER per
latency per direction (256 KiB / 100 ms ≈ 2.5 MiB/s), well above what latency experiments need.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

from chaosguard.faults.latency._toxics import DelayLine

if TYPE_CHECKING:
    from chaosguard.faults.latency._proxy import Connection

__all__ = ["EARLY", "HIGH_WATER", "LOW_WATER", "Pipe", "clock"]

EARLY = 0.0005
HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024

clock = time.monotonic


class Pipe:
    """One direction of one connection: FIFO of ``(due, bytes)`` drained by one timer."""

    __slots__ = (
        "_conn",
        "_dst",
        "_dst_full",
        "_ending",
        "_line",
        "_loop",
        "_paused",
        "_queue",
        "_queue_full",
        "_queued",
        "_src",
        "_timer",
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
        self._loop = conn.proxy.loop
        self._line = DelayLine(conn.proxy.rng)
        self._queue: deque[tuple[float, bytes]] = deque()
        self._queued = 0
        self._timer: asyncio.TimerHandle | None = None
        self._ending = ""  # "" | "eof" | "close"
        self.done = False
        self._queue_full = self._dst_full = self._paused = False

    # -- data ----------------------------------------------------------------------------------
    def feed(self, data: bytes, arrived: float = 0.0) -> None:
        """A chunk arrived from the source (at ``arrived``, default now): forward it or queue it."""
        if self.done:
            return
        proxy = self._conn.proxy
        proxy.count(self.stream, len(data))
        toxic = proxy.delay_toxic(self.stream)
        if toxic is None and not self._queue:
            self._dst.write(data)
            return
        now = clock()
        plan = self._line.plan(toxic, arrived or now, len(data))
        if len(plan) == 1:
            self._queue.append((plan[0][0], data))
        else:
            view, offset = memoryview(data), 0
            for due, length in plan:
                self._queue.append((due, bytes(view[offset : offset + length])))
                offset += length
        self._queued += len(data)
        if self._queued > HIGH_WATER and not self._queue_full:
            self._queue_full = True
            self._update_reading()
        if self._timer is None:
            self._arm(now)

    def _arm(self, now: float) -> None:
        self._timer = self._loop.call_later(self._queue[0][0] - now, self._drain)

    def _drain(self) -> None:
        self._timer = None
        now = clock()
        limit = now + EARLY
        queue = self._queue
        out: list[bytes] = []
        record = self._conn.proxy.lateness.record
        while queue and queue[0][0] <= limit:
            due, data = queue.popleft()
            record(now - due)
            out.append(data)
        if out:
            data = out[0] if len(out) == 1 else b"".join(out)
            self._queued -= len(data)
            self._dst.write(data)
        if queue:
            self._arm(now)
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
        if not self._queue and self._timer is None:
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
        """The destination is gone: forget what is queued."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue.clear()
        self._queued = 0
        if not self.done:
            self.done = True
            self._conn.pipe_done()
