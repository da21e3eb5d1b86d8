"""The closed-loop duty cycle, run in this thread and measured by the kernel's own CPU clock."""

from __future__ import annotations

import os
import signal
import time

import pytest

from chaosguard.faults.stress._dutycycle import DutyCycle


def _ran_and_waited() -> tuple[float, float]:
    """This thread's CPU time and run-queue wait in seconds (``/proc/thread-self/schedstat``)."""
    with open("/proc/thread-self/schedstat") as fh:
        ran, waited = fh.read().split()[:2]
    return int(ran) / 1e9, int(waited) / 1e9


@pytest.mark.parametrize("load", [0.3, 1.0])
def test_duty_cycle_holds_its_share_of_wall_time(load: float) -> None:
    start_wall, (ran0, waited0) = time.monotonic(), _ran_and_waited()
    DutyCycle(load).run(deadline=start_wall + 0.8)
    ran1, waited1 = _ran_and_waited()
    elapsed = time.monotonic() - start_wall
    ran, waited = (ran1 - ran0) / elapsed, (waited1 - waited0) / elapsed
    # tolerant: this thread competes with whatever else the CI machine runs; CPU time it wanted but
    # did not get shows up as run-queue wait
    assert ran <= load + 0.05, (ran, waited)
    assert ran + waited >= load - 0.15, (ran, waited)


def test_duty_cycle_returns_at_its_deadline() -> None:
    start = time.monotonic()
    DutyCycle(0.1).run(deadline=start + 0.2)
    assert time.monotonic() - start < 1.0


def test_duty_cycle_does_not_wind_up_after_a_stall() -> None:
    """Frozen for 0.5 s (SIGSTOP), the loop repays a capped debt and returns to its target; it must
    not run flat out to make up for the whole stall."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            DutyCycle(0.3).run(deadline=time.monotonic() + 3.0)
        finally:
            os._exit(0)
    try:
        time.sleep(0.3)
        os.kill(pid, signal.SIGSTOP)
        time.sleep(0.5)
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.3)
        with open(f"/proc/{pid}/schedstat") as fh:
            ran0, start = int(fh.read().split()[0]), time.monotonic()
        time.sleep(1.0)
        with open(f"/proc/{pid}/schedstat") as fh:
            ran = (int(fh.read().split()[0]) - ran0) / 1e9 / (time.monotonic() - start)
        assert ran <= 0.45, ran  # ~0.3: back on target, not ~1.0
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
