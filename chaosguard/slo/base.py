"""The contract of an SLO source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from chaosguard.errors import ChaosGuardError

__all__ = ["Observation", "SloSource", "SourceUnreadable"]


@dataclass(frozen=True)
class Observation:
    """A value read from a source, and when it was true there (epoch seconds).

    For Prometheus ``at`` is the newest sample's timestamp behind the value (so staleness is visible);
    for an HTTP sampler it is the end of the window; for a callable, the time of the call.
    """

    value: float
    at: float
    detail: dict[str, Any] = field(default_factory=dict)


class SourceUnreadable(ChaosGuardError):
    """The source could not give a trustworthy value (unreachable, no data, stale, timeout)."""


@runtime_checkable
class SloSource(Protocol):
    """Something that reads one number. Must return or raise within ``timeout_s``."""

    def read(self, timeout_s: float) -> Observation:
        """Read the current value; raise :class:`SourceUnreadable` when it cannot be trusted."""
        ...

    def describe(self) -> str:
        """One line saying what is read (for journals and messages)."""
        ...
