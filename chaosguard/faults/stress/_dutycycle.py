"""Closed-loop duty cycle: hold the calling thread's CPU use at a target fraction of wall time.

Open-loop stress (busy ``L·P``, sleep ``(1-L)·P``) drifts: preemption, other load and timer slack
all steal busy time it never gets back. Here the controller measures what it really got — its own
CPU time, ``time.thread_time()`` (the kernel's precise per-thread runtime) — and each period of
``P`` seconds burns exactly the CPU time still owed:

    owed(period end) = load · (period_end - t_ref) - (cpu_now - cpu_ref)

It spins until the owed time is consumed or the period ends, then sleeps to the period's end. Time
lost to preemption is owed in the next periods (integral action), so the average tracks ``load``
within a few periods and keeps tracking under a competing load. The debt carried between periods is
capped (anti-windup): when the target is out of reach (a busy machine; we run at nice 19), the
worker simply takes what it can, and does not burst for seconds once the machine frees up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["DutyCycle", "spin_until"]


def _burn(rounds: int) -> float:
    """A little arithmetic so spinning is user-mode work, not only clock syscalls."""
    x = 1.0
    for _ in range(rounds):
        x = x * 1.000001 + 1e-9
    return x


def spin_until(deadline: float | None) -> None:
    """Stay busy (100 %) until ``deadline`` (``time.monotonic``), or forever when ``None``."""
    wall = time.monotonic
    while deadline is None or wall() < deadline:
        _burn(2000)


@dataclass
class DutyCycle:
    """Hold ``load`` (0 < load ≤ 1) of one CPU on the calling thread.

    :param load: target fraction of wall time spent on CPU.
    :param period: control period in seconds (busy + sleep); 20 ms by default.
    :param max_debt: most CPU seconds owed that are carried into later periods.
    """

    load: float
    period: float = 0.020
    max_debt: float = 0.030

    def run(self, deadline: float | None = None) -> None:
        """Run until ``deadline`` (``time.monotonic``), or forever when ``None``."""
        if self.load >= 1.0:
            spin_until(deadline)
            return
        wall, cpu, load = time.monotonic, time.thread_time, self.load
        ref_wall, ref_cpu = wall(), cpu()
        period_end = ref_wall
        while deadline is None or period_end < deadline:
            period_end += self.period
            now, used = wall(), cpu()
            if now > period_end:  # fell behind (suspended, starved): restart the period grid
                period_end = now + self.period
            owed = load * (period_end - ref_wall) - (used - ref_cpu)
            cap = load * self.period + self.max_debt
            if owed > cap:  # anti-windup: forget debt that cannot be repaid
                ref_cpu -= owed - cap
                owed = cap
            elif owed < -cap:  # far ahead (clock jump): forget the surplus
                ref_cpu -= owed + cap
                owed = -cap
            if owed > 0:
                goal = used + owed
                while cpu() < goal and wall() < period_end:
                    _burn(40)
            left = period_end - wall()
            if left > 0:
                time.sleep(left)
