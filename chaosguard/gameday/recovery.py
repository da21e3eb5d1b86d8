"""Between two experiments: wait, bounded, until every suite SLO is healthy again.

The suite guards are read with the same machinery as the guard control (:func:`build_source` +
:class:`SloCheck`): a reading is healthy when it is not *violating* (objective met; an unreadable
source is violating unless the policy says ``guard.on_unreadable: ignore``). Healthy means every
guard healthy on the same round, and staying so for ``settle_s`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chaosguard.slo.build import build_source
from chaosguard.slo.check import Reading, SloCheck

__all__ = ["RecoveryResult", "describe_readings", "wait_until_healthy"]


@dataclass(frozen=True)
class RecoveryResult:
    """How the wait ended: healthy or not, after how long, and the last round of readings."""

    healthy: bool
    waited_s: float
    rounds: int
    last: tuple[Reading, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for ``summary.json``."""
        return {
            "healthy": self.healthy,
            "waited_s": round(self.waited_s, 3),
            "rounds": self.rounds,
            "last": [r.as_dict() for r in self.last],
        }

    def describe(self) -> str:
        """One line: the guards still violating, or "healthy"."""
        return describe_readings(self.last) if not self.healthy else "every suite SLO is healthy"


def describe_readings(readings: Sequence[Reading]) -> str:
    """``p95: 812 (objective <= 500); errors: unreadable (...)`` for the violating readings."""
    bad = [r for r in readings if r.violating]
    if not bad:
        return "every suite SLO is healthy"
    return "; ".join(
        f"{r.guard}: unreadable ({r.error})" if r.value is None else f"{r.guard}: {r.value:g}"
        for r in bad
    )


def wait_until_healthy(
    guards: Sequence[Any],
    timeout_s: float,
    interval_s: float,
    settle_s: float = 0.0,
    read_timeout_s: float = 5.0,
    fail_closed: bool = True,
    on_round: Callable[[list[Reading]], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> RecoveryResult:
    """Read every guard each ``interval_s`` until all are healthy for ``settle_s``, or until
    ``timeout_s`` passed.

    Always reads at least once (``timeout_s = 0``: a single check). No guards: healthy at once.
    :raises InvalidArgument: a guard whose source cannot be built (e.g. a Python function not
        found).
    """
    if not guards:
        return RecoveryResult(True, 0.0, 0)
    checks = [SloCheck(spec, build_source(spec), fail_closed) for spec in guards]
    for check in checks:  # every client built before any clock starts (no warm-up readings)
        prepare = getattr(check.source, "prepare", None)
        if prepare is not None:
            prepare()
    for check in checks:
        start = getattr(check.source, "start", None)
        if start is not None:
            start()
    began = clock()
    healthy_since: float | None = None
    rounds = 0
    try:
        while True:
            readings = [check.read(read_timeout_s) for check in checks]
            rounds += 1
            now = clock()
            if on_round is not None:
                on_round(readings)
            if any(r.violating for r in readings):
                healthy_since = None
            else:
                healthy_since = now if healthy_since is None else healthy_since
                if now - healthy_since >= settle_s:
                    return RecoveryResult(True, now - began, rounds, tuple(readings))
            left = timeout_s - (now - began)
            if left <= 0:
                return RecoveryResult(False, now - began, rounds, tuple(readings))
            sleep(min(interval_s, left))
    finally:
        for check in checks:
            stop = getattr(check.source, "stop", None)
            if stop is not None:
                stop()
