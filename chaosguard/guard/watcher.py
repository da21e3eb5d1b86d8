"""The watcher: read every guard each interval, evaluate right after the read, call back on breach.

Reads run in parallel, each bounded by a timeout shorter than the interval, so one slow source can
neither delay the others nor stretch the interval; a read still pending at the next tick counts as
unreadable (fail closed). Ticks are scheduled on the monotonic clock from the start, so the interval
does not drift.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from chaosguard.slo.check import Reading, SloCheck

__all__ = ["Watcher"]

logger = logging.getLogger("chaosguard")


class Watcher:
    """Watches ``checks`` every ``interval_s`` on a daemon thread."""

    def __init__(
        self,
        checks: list[SloCheck],
        interval_s: float,
        on_breach: Callable[[list[Reading]], None],
        on_reading: Callable[[Reading], None] | None = None,
    ) -> None:
        self.checks = checks
        self.interval_s = interval_s
        self.on_breach = on_breach
        self.on_reading = on_reading
        self.readings: list[Reading] = []
        self.ticks = 0
        self.breached = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max(1, len(checks)) * 2, thread_name_prefix="cg-read")
        self._pending: dict[str, Future[Reading]] = {}
        self._thread = threading.Thread(target=self._loop, name="chaosguard-watcher", daemon=True)

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and wait for the loop to end (at most one interval)."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(self.interval_s + 2.0)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def tick(self) -> list[Reading]:
        """Read and evaluate every guard once (used by the loop and by preflight)."""
        timeout = max(0.05, self.interval_s * 0.8)
        started = time.monotonic()
        for check in self.checks:
            if check.name not in self._pending or self._pending[check.name].done():
                self._pending[check.name] = self._pool.submit(check.read, timeout)
        out = []
        for check in self.checks:
            left = max(0.0, timeout - (time.monotonic() - started))
            try:
                reading = self._pending[check.name].result(timeout=left)
            except FutureTimeout:
                reading = check.evaluate(None, None, f"no answer within {timeout:.2f} s")
            out.append(reading)
        self.readings.extend(out)
        self.ticks += 1
        for reading in out:
            if self.on_reading is not None:
                self.on_reading(reading)
        return out

    def _loop(self) -> None:
        start = time.monotonic()
        n = 0  # ticks of this loop (preflight may have ticked before: they do not count here)
        while not self._stop.is_set():
            try:
                readings = self.tick()
            except Exception:
                logger.exception("chaosguard watcher failed; treating it as a breach")
                readings = []
                self._fire(readings)
                return
            if any(r.breached for r in readings):
                self._fire(readings)
            n += 1
            next_tick = start + n * self.interval_s
            delay = next_tick - time.monotonic()
            if delay < 0:  # fell behind (slow reads): re-anchor, do not burst
                start = time.monotonic() - n * self.interval_s
                delay = 0
            self._stop.wait(delay)

    def _fire(self, readings: list[Reading]) -> None:
        if not self.breached.is_set():
            self.breached.set()
            self.on_breach(readings)
