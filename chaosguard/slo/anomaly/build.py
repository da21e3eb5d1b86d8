"""Build the detector an :class:`~chaosguard.slo.anomaly.spec.AnomalySpec` asks for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaosguard.slo.anomaly.base import Detector
from chaosguard.slo.anomaly.detectors import FilterDetector
from chaosguard.slo.anomaly.spec import AnomalySpec

if TYPE_CHECKING:
    from chaosguard.slo.anomaly.shift import ShiftDetector

__all__ = ["build", "member"]


def build(spec: AnomalySpec, *, interval_s: float, thin: int = 1) -> Detector:
    """A fresh detector for ``spec`` (fit it on the baseline before checking)."""
    if interval_s <= 0:
        raise ValueError(f"interval_s must be positive, got {interval_s}")
    if spec.detector == "ensemble":
        from chaosguard.slo.anomaly.ensemble import Ensemble

        return Ensemble(spec, interval_s=interval_s, thin=thin)
    return member(spec.detector, spec, interval_s=interval_s, thin=thin)


def member(
    name: str, spec: AnomalySpec, *, interval_s: float, thin: int
) -> FilterDetector | ShiftDetector:
    """A single detector ``name`` (``shift`` or a filter detector) with ``spec``'s settings."""
    from chaosguard.slo.anomaly.shift import ShiftDetector

    if name == "shift":
        return ShiftDetector(spec, interval_s=interval_s, thin=thin, alpha=spec.alpha)
    return FilterDetector(name, spec, interval_s=interval_s, thin=thin, alpha=spec.alpha)
