"""Where a guarded run is (:class:`Phase`, :data:`TRANSITIONS`), and where an activity sits in an
experiment: hypothesis, method or rollbacks (:func:`phase_of`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["TRANSITIONS", "Phase", "phase_of"]


class Phase(StrEnum):
    """Where a guarded run is (its value is what logs print)."""

    CONFIGURED = "configured"  # policy and guards loaded (or their errors kept)
    PREFLIGHT = "preflight"  # before the experiment: checking whether it may start
    BASELINE = "baseline"  # anomaly guards learn what normal looks like (before any activity)
    WATCHING = "watching"  # the watcher runs; steady-state hypothesis before the method
    METHOD = "method"  # the method's activities run
    ROLLBACKS = "rollbacks"  # the rollbacks run: a breach reverts faults but interrupts nothing
    ENDED = "ended"  # watching stopped, leftovers reverted, the scope lock released
    FINISHED = "finished"  # the after-experiment duties are done (evidence, status, publishing)

    @property
    def watched(self) -> bool:
        """The watcher runs (readings are shown live)."""
        return self in (Phase.WATCHING, Phase.METHOD, Phase.ROLLBACKS)

    @property
    def shown(self) -> bool:
        """Readings are shown live (the watched phases, and the baseline being learned)."""
        return self.watched or self is Phase.BASELINE

    @property
    def interruptible(self) -> bool:
        """A breach interrupts the experiment (not during the rollbacks, not after the end)."""
        return self in (Phase.WATCHING, Phase.METHOD)


#: The phases each phase may move to (staying in the same phase is always allowed: a no-op).
TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    Phase.CONFIGURED: frozenset({Phase.PREFLIGHT, Phase.ENDED}),
    Phase.PREFLIGHT: frozenset({Phase.BASELINE, Phase.WATCHING, Phase.ENDED}),
    Phase.BASELINE: frozenset({Phase.WATCHING, Phase.ENDED}),
    Phase.WATCHING: frozenset({Phase.METHOD, Phase.ROLLBACKS, Phase.ENDED}),
    Phase.METHOD: frozenset({Phase.ROLLBACKS, Phase.ENDED}),
    Phase.ROLLBACKS: frozenset({Phase.ENDED}),
    Phase.ENDED: frozenset({Phase.FINISHED}),
    Phase.FINISHED: frozenset(),
}


def phase_of(experiment: dict[str, Any], activity: dict[str, Any]) -> str:
    """``hypothesis``, ``method``, ``rollbacks`` or ``unknown`` (identity first, then name)."""
    sections = {
        "hypothesis": (experiment.get("steady-state-hypothesis") or {}).get("probes") or [],
        "method": experiment.get("method") or [],
        "rollbacks": experiment.get("rollbacks") or [],
    }
    for phase, items in sections.items():
        if any(item is activity for item in items):
            return phase
    for phase, items in sections.items():
        if any(
            isinstance(item, dict) and item.get("name") == activity.get("name") for item in items
        ):
            return phase
    return "unknown"
