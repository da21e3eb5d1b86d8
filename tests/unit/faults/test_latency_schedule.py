"""The latency worker's one schedule for every held-back chunk, and its process tuning.

The schedule runs on a real event loop (uvloop, as in the worker); the tuning runs in a child
interpreter so this test process keeps its own collector and scheduler settings.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import uvloop

from chaosguard.faults.latency._sched import EARLY, Schedule, clock

ROOT = Path(__file__).resolve().parents[3]


class _Pipe:
    """A stand-in pipe: records when it was released and may ask to be woken again."""

    def __init__(self, name: str, log: list[tuple[str, float, float]], schedule: Schedule) -> None:
        self.name, self.log, self.schedule = name, log, schedule
        self.dues: list[float] = []

    def release(self, now: float) -> None:
        due = self.dues.pop(0)
        self.log.append((self.name, due, now))
        if self.dues:
            self.schedule.add(self, self.dues[0])


def _run(body) -> list[tuple[str, float, float]]:
    async def main() -> list[tuple[str, float, float]]:
        schedule = Schedule(asyncio.get_running_loop())
        log: list[tuple[str, float, float]] = []
        await body(schedule, log)
        return log

    return uvloop.run(main())


def test_pipes_are_released_in_due_order_never_early() -> None:
    async def body(schedule: Schedule, log: list) -> None:
        start = clock()
        pipes = {name: _Pipe(name, log, schedule) for name in "abc"}
        pipes["a"].dues = [start + 0.030, start + 0.050]  # re-enters after its first release
        pipes["b"].dues = [start + 0.010]
        pipes["c"].dues = [start + 0.040]
        for pipe in pipes.values():
            schedule.add(pipe, pipe.dues[0])
        await asyncio.sleep(0.2)
        assert len(schedule) == 0

    log = _run(body)
    assert [name for name, _, _ in log] == ["b", "a", "c", "a"]
    for _, due, released in log:
        assert released >= due - EARLY


def test_an_earlier_entry_added_later_is_not_held_behind_a_later_one() -> None:
    async def body(schedule: Schedule, log: list) -> None:
        late, soon = _Pipe("late", log, schedule), _Pipe("soon", log, schedule)
        late.dues, soon.dues = [clock() + 0.5], [clock() + 0.02]
        schedule.add(late, late.dues[0])
        schedule.add(soon, soon.dues[0])
        await asyncio.sleep(0.15)
        assert [name for name, _, _ in log] == ["soon"]
        schedule.close()  # forgets the rest: nothing fires afterwards
        await asyncio.sleep(0.5)

    assert [name for name, _, _ in _run(body)] == ["soon"]


def test_equal_due_times_are_all_released() -> None:
    async def body(schedule: Schedule, log: list) -> None:
        due = clock() + 0.01
        for i in range(50):
            pipe = _Pipe(str(i), log, schedule)
            pipe.dues = [due]
            schedule.add(pipe, due)
        await asyncio.sleep(0.1)

    assert sorted(int(name) for name, _, _ in _run(body)) == list(range(50))


def _child(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_freeze_heap_moves_the_start_up_heap_out_of_the_collector() -> None:
    out = _child(
        "import gc; from chaosguard.faults.latency._tune import GC_GEN0, freeze_heap; "
        "import chaosguard.faults.latency.spec; freeze_heap(); "
        "print(gc.get_freeze_count() > 10000, gc.get_threshold()[0] == GC_GEN0)"
    )
    assert out == "True True"


SLICE = (
    "from chaosguard.faults.latency._tune import request_slice; ok = request_slice({arg}); "
    "line = [x for x in open('/proc/thread-self/sched') if x.startswith('se.slice')]; "
    "print(ok, int(line[0].split(':')[1]) if line else -1)"
)


def test_request_slice_sets_the_threads_slice_where_the_kernel_has_custom_slices() -> None:
    ok, slice_ns = _child(SLICE.format(arg="300")).split()
    if slice_ns == "-1":  # a kernel before EEVDF custom slices: the call changes nothing
        return
    assert ok == "True" and int(slice_ns) == 300_000
    ok, default_ns = _child(SLICE.format(arg="None"), CHAOSGUARD_LATENCY_SLICE_US="0").split()
    assert ok == "False" and int(default_ns) != 300_000  # 0 keeps the kernel's default
