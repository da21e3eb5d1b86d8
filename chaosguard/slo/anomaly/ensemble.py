"""The ensemble: several detectors on the same readings; an anomaly when ``k`` of the ``n`` agree.

The check is anomalous when at least ``k`` members' checks are, confirmed (the guard breaches) when
at least ``k`` members are confirmed at the same check.

False-alarm model: the members are calibrated *jointly* by simulation from the baseline's fitted
model (:func:`~chaosguard.slo.anomaly.calibrate.calibrate`): every member gets the same run-level
share ``q``, the largest for which ``k`` members confirmed at once happens in at most ``SAFETY ×
alpha`` of the simulated null runs. Their dependence (they read the same readings) is therefore
accounted for exactly under the model, instead of the Markov bound ``q = k·α/n`` (valid whatever
the dependence but wasteful: the members' breaches are strongly correlated, so the ensemble's real
rate was far below alpha and each member was less sensitive than on its own).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chaosguard.slo.anomaly.base import AnomalyVerdict, Baseline
from chaosguard.slo.anomaly.build import member
from chaosguard.slo.anomaly.calibrate import calibrate
from chaosguard.slo.anomaly.detectors import baseline_array, fit_model
from chaosguard.slo.anomaly.rules import checks_per_run_for, min_baseline_for
from chaosguard.slo.anomaly.shift import heavier_nu

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from chaosguard.slo.anomaly.spec import AnomalySpec

__all__ = ["Ensemble"]


class Ensemble:
    """``k`` of ``n`` member detectors (see the module docstring)."""

    name = "ensemble"

    def __init__(self, spec: AnomalySpec, *, interval_s: float, thin: int) -> None:
        self.spec = spec
        self.k = spec.k
        self.min_baseline = min_baseline_for("ensemble", spec.members)
        self.source_thin = max(1, thin)
        self.checks_per_run = checks_per_run_for(spec.checks_per_run, interval_s)
        self.members = [member(m, spec, interval_s=interval_s, thin=thin) for m in spec.members]
        self.baseline: Baseline | None = None

    def fit(self, values: Any) -> Baseline:
        """Fit every member on the same readings, calibrated jointly; the band shown is the
        ``k``-th narrowest of the members' bands on each side (1 of n: the narrowest)."""
        x = baseline_array(values, max(self.min_baseline, self.spec.baseline_readings))
        members = tuple(self.spec.members)
        setting, thin = fit_model(self.spec, x, self.source_thin, self.checks_per_run)
        if "shift" in members:  # its tail assumption (see ShiftDetector.setting_for)
            setting = replace(setting, nu=heavier_nu(setting.nu))
        cal = calibrate(setting, members, self.k, self.spec.alpha)
        fitted = [m.fit_calibrated(x, setting, cal, thin) for m in self.members]
        first = fitted[0]
        self.baseline = Baseline(
            detector=self.name,
            n=first.n,
            mean=first.mean,
            sd=first.sd,
            low=sorted((b.low for b in fitted), reverse=True)[self.k - 1],
            high=sorted(b.high for b in fitted)[self.k - 1],
            n_eff=first.n_eff,
            thin=first.thin,
            autocorrelation=first.autocorrelation,
            per_check_alpha=min(b.per_check_alpha for b in fitted),
            k=float(self.k),
            extra={
                "centre": first.extra["centre"],
                "calibration": "simulation",
                "sims": cal.sims,
                "run_level": cal.run_level[first.detector],
                "simulated_fpr": cal.achieved,
                "members": {b.detector: b.as_dict() for b in fitted},
            },
        )
        return self.baseline

    def check(self, value: float) -> AnomalyVerdict:
        """Every member judges the reading; k of n decide."""
        verdicts = [m.check(value) for m in self.members]
        b = self.baseline
        assert b is not None  # members raised BaselineError otherwise
        anomalous = sum(v.anomalous for v in verdicts) >= self.k
        confirmed = sum(v.confirmed for v in verdicts) >= self.k
        scores = sorted((v.score for v in verdicts), reverse=True)
        flagged = [m.name for m, v in zip(self.members, verdicts, strict=True) if v.anomalous]
        reason = verdicts[0].reason if verdicts[0].reason == "not a finite number" else ""
        if not reason and flagged:
            reason = f"{len(flagged)} of {len(verdicts)} detectors: {', '.join(flagged)}"
        return AnomalyVerdict(
            anomalous,
            confirmed,
            float(b.extra["centre"]),
            b.low,
            b.high,
            scores[self.k - 1],
            value,
            reason,
        )

    def scan(self, values: Any) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
        """Like :meth:`FilterDetector.scan`, k of n (the statistic returned is the reading)."""
        import numpy as np

        results = [m.scan(values) for m in self.members]
        anomalous = np.sum([r[1] for r in results], axis=0) >= self.k
        confirmed = np.sum([r[2] for r in results], axis=0) >= self.k
        return np.asarray(values, dtype=float), anomalous, confirmed
