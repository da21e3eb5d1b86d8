"""Anomaly guards: learn what normal looks like before the first action, then flag "not normal".

:mod:`~chaosguard.slo.anomaly.spec` is the ``anomaly:`` block users write (no numpy);
:mod:`~chaosguard.slo.anomaly.base` the detector contract and its verdicts;
:func:`new_detector` builds a detector (numpy is imported only then). The detectors
(:mod:`~chaosguard.slo.anomaly.detectors`) are filters of the readings judged against a band, and
``shift`` (:mod:`~chaosguard.slo.anomaly.shift`) a level-shift test on the readings' prediction
residuals; every threshold is calibrated, at fit time, by simulating null runs from the
baseline's fitted model (AR(1) with Student-t surprises, :mod:`~chaosguard.slo.anomaly.model`) so
that a run without a change breaches with the per-run probability asked for
(:mod:`~chaosguard.slo.anomaly.calibrate`);
:mod:`~chaosguard.slo.anomaly.canary` judges a whole run after the fact (Mann-Whitney). The maths
in plain words: ``docs/anomaly.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaosguard.slo.anomaly.base import AnomalyVerdict, Baseline, BaselineError, Detector
    from chaosguard.slo.anomaly.spec import AnomalySpec

__all__ = [
    "AnomalySpec",
    "AnomalyVerdict",
    "Baseline",
    "BaselineError",
    "Detector",
    "new_detector",
]


def __getattr__(name: str) -> Any:
    """The names above on first use: the spec is a pydantic model, and a run without anomaly
    guards reaches this package (for :mod:`~chaosguard.slo.anomaly.rules`) needing neither it
    nor the detector contract."""
    if name == "AnomalySpec":
        from chaosguard.slo.anomaly import spec

        return spec.AnomalySpec
    if name in ("AnomalyVerdict", "Baseline", "BaselineError", "Detector"):
        from chaosguard.slo.anomaly import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def new_detector(spec: AnomalySpec, *, interval_s: float, thin: int = 1) -> Detector:
    """The detector ``spec`` asks for, its thresholds set for ``spec.alpha`` per run.

    ``interval_s`` is the guard's check interval (for the default ``checks_per_run``); ``thin`` the
    readings per independent reading the source implies (e.g. ``ceil(window_s / interval_s)`` for
    the HTTP sampler's overlapping windows); ``spec.thin``, when given, overrides it.
    """
    from chaosguard.slo.anomaly.build import build

    return build(spec, interval_s=interval_s, thin=thin)
