"""What a guard spec means beyond its fields: its cross-field check and its objective. Plain code
without pydantic: the guard models of :mod:`chaosguard.slo.spec` inherit it, and so do the run-time
objects of the compiled specs (:mod:`chaosguard.compiled`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

__all__ = ["GuardRules"]


class GuardRules:
    """A guard's bound check, and its objective as a test and as text."""

    if TYPE_CHECKING:
        name: str
        source: str
        max: float | None
        min: float | None
        anomaly: Any

    def _one_bound(self) -> Any:
        if self.max is not None and self.min is not None:
            raise ValueError("give exactly one of 'max' (breach above) or 'min' (breach below)")
        if self.max is None and self.min is None and self.anomaly is None:
            raise ValueError(
                "give exactly one of 'max' (breach above) or 'min' (breach below), "
                "or an 'anomaly' block"
            )
        source = getattr(self, "source", None)
        ranged = self.anomaly is not None and self.anomaly.baseline_range_s is not None
        if ranged and source != "prometheus":
            raise ValueError(
                "'anomaly.baseline_range_s' needs a prometheus source (a range query); "
                f"a {source} guard learns from its own readings (baseline_readings)"
            )
        return self

    @property
    def has_bound(self) -> bool:
        """True when the guard has a fixed objective (``max`` or ``min``)."""
        return self.max is not None or self.min is not None

    def breached_by(self, value: float) -> bool:
        """True when ``value`` violates the fixed objective (before any ``for`` duration); an
        anomaly-only guard has none (its detector judges, after the baseline)."""
        if self.max is not None:
            return value > self.max
        if self.min is not None:
            return value < self.min
        return False

    def threshold(self) -> str:
        """The objective as text, e.g. ``<= 500``, ``>= 0.999``, ``<= 500 or anomaly (ensemble,
        up, alpha 0.01)``."""
        parts = []
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        elif self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.anomaly is not None:
            a = self.anomaly
            parts.append(f"anomaly ({a.detector}, {a.direction}, alpha {a.alpha:g})")
        return " or ".join(parts)
