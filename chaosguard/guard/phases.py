"""Where an activity sits in an experiment: hypothesis, method or rollbacks."""

from __future__ import annotations

from typing import Any

__all__ = ["phase_of"]


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
