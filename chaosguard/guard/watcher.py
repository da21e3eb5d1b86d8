"""The watcher: read every guard each interval, evaluate right after the read, call back on breach.

Reads run in parallel, each bounded by a timeout shorter than the interval, so one slow source can
neither delay the others nor stretch the interval; a read still pending at the next tick counts as
unreadable (fail closed). Ticks are scheduled on the monotonic clock from the start, so the interval
does not drift.

Fail closed: a source that raises a ``BaseException`` (``SystemExit``, ``KeyboardInterrupt`` from a
python source) is a breach, whatever ``on_unreadable`` says; a loop that dies for any reason is a
breach; and a watchdog thread fires the breach if the loop thread is ever found dead while it should
be watching (:attr:`Watcher.dead` is also asked before every action).
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
        self._dog = threading.Thread(target=self._watchdog, name="chaosguard-watchdog", daemon=True)

    def start(self) -> None:
        """Start watching (the loop, and the watchdog that checks the loop is alive)."""
        self._thread.start()
        self._dog.start()

    def stop(self) -> None:
        """Stop watching and wait for the loop to end (at most one interval)."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(self.interval_s + 2.0)
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def dead(self) -> bool:
        """True when the loop was started, was not stopped, and is not running any more."""
        return (
            self._thread.ident is not None
            and not self._stop.is_set()
            and not self._thread.is_alive()
        )

    def check_alive(self) -> bool:
        """Fire the breach when the loop is :attr:`dead`; True while it is alive (or stopped)."""
        if self.dead:
            logger.critical("chaosguard watcher thread is dead; treating it as a breach")
            self._fire([])
            return False
        return True

    def tick(self, record: bool = True) -> list[Reading]:
        """Read and evaluate every guard once (used by the loop and by preflight); ``record=False``
        keeps the readings out of the history and the reading hook (a warm-up read: see
        :meth:`record`)."""
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
            except BaseException as exc:  # SystemExit, KeyboardInterrupt...: a breach, always
                error = f"the source raised {type(exc).__name__}: {exc}"
                now = time.time()
                reading = Reading(check.name, now, None, None, True, True, error)
            out.append(reading)
        if record:
            self.record(out)
        return out

    def first_readings(self, within_s: float = 10.0) -> list[Reading]:
        """Read every guard until each has a value (an HTTP window needs its first completed
        request), for at most ``within_s``; only that tick is recorded (a window still empty is no
        evidence of a breach), and it is returned."""
        deadline = time.monotonic() + within_s
        while True:
            readings = self.tick(record=False)
            pending = [
                r for r in readings if r.value is None and "no completed request" in (r.error or "")
            ]
            if not pending or time.monotonic() > deadline:
                self.record(readings)
                return readings
            time.sleep(0.1)

    def record(self, readings: list[Reading]) -> None:
        """Keep one tick's ``readings`` in the history and pass each to the reading hook."""
        self.readings.extend(readings)
        self.ticks += 1
        for reading in readings:
            if self.on_reading is not None:
                self.on_reading(reading)

    def _loop(self) -> None:
        start = time.monotonic()
        n = 0  # ticks of this loop (preflight may have ticked before: they do not count here)
        while not self._stop.is_set():
            try:
                readings = self.tick()
            except BaseException:
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

    def _watchdog(self) -> None:
        period = max(0.05, min(self.interval_s, 1.0))
        while not self._stop.wait(period):
            if not self.check_alive():
                return

    def _fire(self, readings: list[Reading]) -> None:
        if not self.breached.is_set():
            self.breached.set()
            self.on_breach(readings)
