"""The contract of an SLO source: read one number (or say why not), describe it, start and stop.

A source only *reads*; judging the value is :mod:`chaosguard.slo.check`'s job. Whoever watches
sources (the guard session, the game day's recovery wait) calls :meth:`SloSource.start` before the
first read and :meth:`SloSource.stop` after the last, so background samplers and HTTP clients end
with the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from chaosguard.errors import ChaosGuardError

__all__ = ["Observation", "SloSource", "SourceUnreadable"]


@dataclass(frozen=True)
class Observation:
    """A value read from a source, and when it was true there (epoch seconds).

    For Prometheus ``at`` is the newest sample's timestamp behind the value (so staleness is
    visible); for an HTTP sampler it is the end of the window; for a callable, the time of the call.

    ``settled`` is False while the source is still warming up (an HTTP sampler whose window is not
    full yet: fewer requests than the window holds in steady state). Such a value is judged
    against the guard's objective like any other, but an anomaly baseline never learns from it.
    """

    value: float
    at: float
    detail: dict[str, Any] = field(default_factory=dict)
    settled: bool = True


class SourceUnreadable(ChaosGuardError):
    """The source could not give a trustworthy value (unreachable, no data, stale, timeout)."""


@runtime_checkable
class SloSource(Protocol):
    """Something that reads one number. Must return or raise within ``timeout_s``.

    Lifecycle: ``prepare()`` (optional), ``start()`` once before reading, ``stop()`` once after;
    all idempotent. Whoever watches several sources prepares them all before starting the first:
    what costs CPU in this process (clients, threads) must not run while another source is
    already timing requests. A class that names ``SloSource`` as a base inherits no-op
    ``prepare``/``start``/``stop`` (for sources with nothing to do) and has its
    ``read``/``describe`` checked by mypy.
    """

    def prepare(self) -> None:
        """Get ready to start without reading anything yet; by default nothing to do."""
        return None

    def start(self) -> None:
        """Get ready to be read (e.g. start a background sampler); by default nothing to do."""
        return None

    def stop(self) -> None:
        """Release what the source holds (threads, connections); by default nothing to do."""
        return None

    def read(self, timeout_s: float) -> Observation:
        """Read the current value; raise :class:`SourceUnreadable` when it cannot be trusted."""
        ...

    def describe(self) -> str:
        """One line saying what is read (for journals and messages)."""
        ...
