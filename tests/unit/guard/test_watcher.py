"""The watcher reads every guard each interval, fails closed on hung sources, fires once."""

from __future__ import annotations

import threading
import time

from chaosguard.guard.watcher import Watcher
from chaosguard.slo.base import Observation
from chaosguard.slo.check import SloCheck
from chaosguard.slo.spec import PythonGuard
from tests.helpers import wait_until


class _Value:
    def __init__(self, value: float, delay: float = 0.0) -> None:
        self.value, self.delay = value, delay

    def read(self, timeout_s: float) -> Observation:
        time.sleep(self.delay)
        return Observation(self.value, time.time())

    def describe(self) -> str:
        return "value"


def _check(name: str, source: _Value, limit: float = 10) -> SloCheck:
    return SloCheck(PythonGuard(name=name, source="python", func="m:f", max=limit), source)  # type: ignore[arg-type]


def test_breach_fires_once_and_reading_goes_on() -> None:
    src = _Value(1)
    fired: list = []
    w = Watcher([_check("a", src)], 0.05, fired.append)
    w.start()
    try:
        assert wait_until(lambda: w.ticks >= 3)
        assert not fired
        src.value = 11
        assert wait_until(lambda: len(fired) == 1)
        ticks = w.ticks
        assert wait_until(lambda: w.ticks >= ticks + 3)
        assert len(fired) == 1 and fired[0][0].guard == "a" and fired[0][0].value == 11
    finally:
        w.stop()


def test_a_hung_source_is_unreadable_and_does_not_delay_the_others() -> None:
    fired: list = []
    hung, fine = _check("hung", _Value(1, delay=5)), _check("fine", _Value(1))
    w = Watcher([fine, hung], 0.1, fired.append)
    readings = w.tick()
    by_name = {r.guard: r for r in readings}
    assert by_name["fine"].value == 1 and not by_name["fine"].violating
    assert by_name["hung"].value is None and by_name["hung"].breached
    assert "no answer within" in (by_name["hung"].error or "")
    w.stop()


def test_stop_ends_the_thread() -> None:
    w = Watcher([_check("a", _Value(1))], 0.05, lambda r: None)
    w.start()
    w.stop()
    assert not any(t.name == "chaosguard-watcher" and t.is_alive() for t in threading.enumerate())


def test_ticks_before_start_do_not_delay_the_loop() -> None:
    """Preflight ticks the watcher before starting it; the loop must still read every interval."""
    w = Watcher([_check("a", _Value(1))], 0.05, lambda r: None)
    for _ in range(40):  # 40 preflight ticks = 2 s of intervals
        w.tick()
    w.start()
    try:
        assert wait_until(lambda: w.ticks >= 43, timeout=1.0)  # reads resume at once, not after 2 s
    finally:
        w.stop()
    gaps = [b.read_at - a.read_at for a, b in zip(w.readings[40:], w.readings[41:], strict=False)]
    assert max(gaps) < 1.0


class _Raises:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def read(self, timeout_s: float) -> Observation:
        raise self.exc

    def describe(self) -> str:
        return "raises"


def test_a_base_exception_from_a_source_is_a_breach_even_when_unreadable_is_ignored() -> None:
    for exc in (SystemExit(3), KeyboardInterrupt()):
        check = _check("hostile", _Raises(exc))  # type: ignore[arg-type]
        check.fail_closed = False  # on_unreadable: ignore
        fired: list = []
        w = Watcher([check], 0.05, fired.append)
        w.start()
        try:
            assert wait_until(lambda fired=fired: len(fired) == 1)
            reading = fired[0][0]
            assert reading.breached and type(exc).__name__ in (reading.error or "")
            assert not w.dead  # the loop survived the exception
        finally:
            w.stop()


def test_a_dead_loop_is_a_breach_found_by_the_watchdog() -> None:
    fired: list = []
    w = Watcher([_check("a", _Value(1))], 0.05, fired.append)
    w.tick = lambda: (_ for _ in ()).throw(SystemExit(1))  # type: ignore[method-assign]
    w._fire = lambda readings: fired.append(readings)  # type: ignore[method-assign]
    w.start()  # the loop dies at once; with _fire stubbed only the watchdog can report it
    try:
        assert wait_until(lambda: len(fired) >= 2)
        assert w.dead and not w.check_alive()
    finally:
        w.stop()
    assert not w.dead  # stopped on purpose: not a breach


def test_a_thread_that_never_started_or_was_stopped_is_not_dead() -> None:
    w = Watcher([_check("a", _Value(1))], 0.05, lambda readings: None)
    assert not w.dead and w.check_alive()
    w.start()
    w.stop()
    assert not w.dead


class _Warming:
    """A source whose window holds no completed request for its first ``empty`` reads (an HTTP
    sampler that just started), then a value."""

    def __init__(self, empty: int, value: float) -> None:
        self.empty, self.value = empty, value

    def read(self, timeout_s: float) -> Observation:
        from chaosguard.slo.base import SourceUnreadable

        if self.empty > 0:
            self.empty -= 1
            raise SourceUnreadable("sampler 's' has no completed request in the last 5 s")
        return Observation(self.value, time.time())

    def describe(self) -> str:
        return "warming"


def test_first_readings_keep_only_the_tick_that_has_values() -> None:
    """The warm-up reads are no evidence: neither in the history nor passed to the reading hook
    (the journal and the event stream would show a breach before any fault)."""
    seen: list = []
    w = Watcher([_check("http", _Warming(2, 3.0))], 0.1, lambda *a: None, seen.append)  # type: ignore[arg-type]
    first = w.first_readings()
    assert [(r.value, r.violating, r.breached) for r in first] == [(3.0, False, False)]
    assert w.readings == first and seen == first and w.ticks == 1
    w.stop()


def test_first_readings_give_up_and_record_the_empty_window() -> None:
    w = Watcher([_check("http", _Warming(10**6, 3.0))], 0.1, lambda *a: None)  # type: ignore[arg-type]
    first = w.first_readings(within_s=0.3)
    assert len(first) == 1 and first[0].value is None and first[0].breached
    assert w.readings == first  # the one recorded tick: the refusal's evidence
    w.stop()
