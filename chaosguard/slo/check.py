"""Judge readings against a guard's objective, with an alerting rule's ``for`` semantics.

A reading is *violating* when the value breaks the objective, or when the source could not be read
and the policy fails closed (the default). The guard is *breached* once violations have lasted
``for_s`` without interruption, timed like an alerting rule: from the first violating *evaluation*,
not from the sample's own time (which may be up to a scrape interval old). ``for_s = 0``: the first
violation breaches.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from chaosguard.slo.base import SloSource, SourceUnreadable
from chaosguard.slo.spec import GuardBase

__all__ = ["Reading", "SloCheck"]


@dataclass(frozen=True)
class Reading:
    """One evaluation of one guard: what was read, when, and the verdict."""

    guard: str
    read_at: float  # when the read finished (epoch s)
    value: float | None  # None when unreadable
    source_at: float | None  # when the value was true at the source
    violating: bool
    breached: bool
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the journal."""
        return asdict(self)


class SloCheck:
    """A guard spec bound to its source, remembering when the current violation started."""

    def __init__(self, spec: GuardBase, source: SloSource, fail_closed: bool = True) -> None:
        self.spec = spec
        self.source = source
        self.fail_closed = fail_closed
        self._violating_since: float | None = None

    @property
    def name(self) -> str:
        """The guard's name."""
        return self.spec.name

    def read(self, timeout_s: float) -> Reading:
        """Read the source once and evaluate right away (no stale sleep-then-check)."""
        try:
            obs = self.source.read(timeout_s)
        except SourceUnreadable as exc:
            return self.evaluate(None, None, str(exc))
        except Exception as exc:
            return self.evaluate(None, None, f"{type(exc).__name__}: {exc}")
        return self.evaluate(obs.value, obs.at, None)

    def evaluate(
        self,
        value: float | None,
        source_at: float | None,
        error: str | None,
        now: float | None = None,
    ) -> Reading:
        """Turn one read into a :class:`Reading`, updating the ``for`` timer."""
        now = time.time() if now is None else now
        if value is None:
            violating = self.fail_closed
        else:
            violating = self.spec.breached_by(value)
        if not violating:
            self._violating_since = None
            breached = False
        else:
            if self._violating_since is None:
                self._violating_since = now
            breached = now - self._violating_since >= self.spec.for_s
        return Reading(self.name, now, value, source_at, violating, breached, error)
