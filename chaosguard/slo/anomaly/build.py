"""Build the detector an :class:`~chaosguard.slo.anomaly.spec.AnomalySpec` asks for."""

from __future__ import annotations

from chaosguard.slo.anomaly.base import Detector
from chaosguard.slo.anomaly.detectors import FilterDetector
from chaosguard.slo.anomaly.ensemble import Ensemble
from chaosguard.slo.anomaly.spec import AnomalySpec

__all__ = ["build"]


def build(spec: AnomalySpec, *, interval_s: float, thin: int = 1) -> Detector:
    """A fresh detector for ``spec`` (fit it on the baseline before checking)."""
    if interval_s <= 0:
        raise ValueError(f"interval_s must be positive, got {interval_s}")
    if spec.detector == "ensemble":
        return Ensemble(spec, interval_s=interval_s, thin=thin)
    return FilterDetector(spec.detector, spec, interval_s=interval_s, thin=thin, alpha=spec.alpha)
