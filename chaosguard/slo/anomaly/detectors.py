"""The single detectors: a filter of the readings judged against a band around the baseline.

=================  =============================  ==========================================
detector           statistic judged               baseline centre and scale
=================  =============================  ==========================================
``zscore``         the reading                    mean, sd
``moving-average`` mean of the last ``window``    mean, sd
``ewma``           λ·x + (1-λ)·previous           mean, sd
``holt``           level + ``horizon`` × trend    mean, sd
``iqr``            the reading                    median, IQR / 1.349 (robust to outliers)
=================  =============================  ==========================================

The band is ``centre ± c · scale · sqrt(V + 1/n_eff)``, ``c`` calibrated by simulation from the
baseline's fitted model (:mod:`~chaosguard.slo.anomaly.calibrate`), widened to the
practical-significance floors ``max(min_change · |centre|, min_abs_change)``. Only
``direction``'s side is enforced. A smoother's input is clipped at a fence (at least 4 scales, or
twice the floor, from the centre) so that a lone spike cannot hold the smoothed value high for
several checks. The filter starts from the baseline's centre, so the first checks are judged
against the baseline alone. ``check`` and ``scan`` (a whole series at once, for benchmarks and
tests) give the same verdicts.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any

from chaosguard.slo.anomaly import model
from chaosguard.slo.anomaly.base import AnomalyVerdict, Baseline, BaselineError
from chaosguard.slo.anomaly.calibrate import Calibration, Setting, calibrate, unit
from chaosguard.slo.anomaly.spec import MIN_BASELINE, AnomalySpec, checks_per_run_for
from chaosguard.slo.anomaly.thresholds import effective_n, rho_for_thin, rho_se
from chaosguard.slo.anomaly.worth import baseline_rho

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "FilterDetector",
    "weights_for",
    "baseline_array",
    "fit_model",
    "confirmed_runs",
]


def weights_for(name: str, spec: AnomalySpec) -> NDArray[np.float64]:
    """The filter weights of detector ``name`` (newest reading first, summing to 1)."""
    return model.weights_for(
        name,
        window=spec.window,
        smoothing=spec.smoothing,
        trend_smoothing=spec.trend_smoothing,
        horizon=spec.horizon,
    )


def fit_model(
    spec: AnomalySpec,
    x: NDArray[np.float64],
    source_thin: int,
    checks: int,
    *,
    upper: bool = True,
) -> tuple[Setting, int]:
    """The calibration setting of ``spec`` for baseline ``x`` and a run of ``checks`` checks, and
    the readings per independent reading it implies.

    ρ: ``spec.thin`` when given (known, not spread); else the baseline's bias-corrected estimate
    plus one standard error, at least what the source's overlapping windows imply, spread by its
    standard error in the simulation. ν: from the baseline's Geary ratio, spread likewise.
    """
    n = len(x)
    rho = baseline_rho(spec, x, source_thin)
    if spec.thin is not None:
        se, floor, truth = 0.0, rho, None
    else:
        floor = rho_for_thin(source_thin)
        truth = None if upper else baseline_rho(spec, x, source_thin, upper=False)
        se = round(rho_se(rho, n), 4)
    thin = spec.thin or max(1, math.ceil((1 + rho) / (1 - rho) - 1e-9))
    setting = Setting(
        n=n,
        m=checks,
        rho=rho,
        nu=model.estimate_nu(x),
        rho_se=se,
        rho_floor=floor,
        nu_spread=True,
        truth_rho=truth,
        confirm=spec.confirm,
        direction=spec.direction,
        window=spec.window,
        smoothing=spec.smoothing,
        trend_smoothing=spec.trend_smoothing,
        horizon=spec.horizon,
    )
    return setting, thin


def baseline_array(values: Any, need: int) -> NDArray[np.float64]:
    """The baseline as a float array, refusing too few readings or a non-finite one."""
    import numpy as np

    try:
        arr = np.asarray(list(values), dtype=float)
    except (TypeError, ValueError) as exc:
        raise BaselineError(f"baseline readings are not numbers: {exc}") from exc
    if arr.ndim != 1 or len(arr) < need:
        raise BaselineError(f"baseline too short: needs {need} readings, had {arr.size}")
    bad = int((~np.isfinite(arr)).sum())
    if bad:
        raise BaselineError(f"baseline has {bad} non-finite reading(s) (NaN or inf) of {len(arr)}")
    return arr


class FilterDetector:
    """One of ``zscore``, ``moving-average``, ``ewma``, ``holt``, ``iqr`` (see the module doc)."""

    def __init__(
        self, name: str, spec: AnomalySpec, *, interval_s: float, thin: int, alpha: float
    ) -> None:
        self.name = name
        self.min_baseline = MIN_BASELINE[name]
        self.spec = spec
        self.alpha = alpha
        self.source_thin = max(1, thin)
        self.checks_per_run = checks_per_run_for(spec.checks_per_run, interval_s)
        self.weights = weights_for(name, spec)
        self.baseline: Baseline | None = None
        self._history: deque[float] = deque(maxlen=len(self.weights))
        self._streak = 0
        self._scale = 0.0  # sd of the statistic under the baseline model (score unit)
        self._fence = (-math.inf, math.inf)  # a smoother's input is clipped to this

    def fit(self, values: Any) -> Baseline:
        """Learn centre, scale, autocorrelation, tails and the band; reset the streaming state."""
        x = baseline_array(values, max(self.min_baseline, self.spec.baseline_readings))
        setting, thin = fit_model(self.spec, x, self.source_thin, self.checks_per_run)
        cal = calibrate(setting, (self.name,), 1, self.alpha)
        return self.fit_calibrated(x, setting, cal, thin)

    def fit_calibrated(
        self, x: NDArray[np.float64], setting: Setting, cal: Calibration, thin: int
    ) -> Baseline:
        """Set the band from a calibration of ``setting`` (the ensemble calibrates jointly)."""
        import numpy as np

        n, rho = len(x), setting.rho
        centre_a, scale_a = model.centre_scale(self.name, x[None, :], rho)
        centre, scale = float(centre_a[0]), float(scale_a[0])
        sd = float(x.std(ddof=1)) * model.sd_correction(n, rho)
        c = cal.c[self.name]
        self._scale = scale * unit(self.name, setting)
        floor = max(self.spec.min_change * abs(centre), self.spec.min_abs_change)
        half = c * self._scale
        # at least 1.5 × the band (a step clipped at the fence must still clear the band), and no
        # fence at all when it would be 0 (a constant baseline without floor: never clip to it)
        fence = math.inf
        if math.isfinite(cal.fence[self.name]):  # smoothers only
            fence = max(cal.fence[self.name] * scale, 1.5 * half, 2.0 * floor) or math.inf
        self._fence = (centre - fence, centre + fence)
        extra: dict[str, Any] = {
            "centre": centre,
            "scale": scale,
            "nu": setting.nu if math.isfinite(setting.nu) else None,
            "fence": fence if math.isfinite(fence) else None,
            "calibration": "simulation",
            "sims": cal.sims,
            "run_level": cal.run_level[self.name],
            "simulated_fpr": cal.achieved,
        }
        if self.name == "iqr":
            q1, median, q3 = (float(q) for q in np.percentile(x, [25, 50, 75]))
            extra.update({"q1": q1, "median": median, "q3": q3, "iqr": q3 - q1})
        self.baseline = Baseline(
            detector=self.name,
            n=n,
            mean=float(x.mean()),
            sd=sd,
            low=min(centre - half, centre - floor),
            high=max(centre + half, centre + floor),
            n_eff=effective_n(n, rho),
            thin=thin,
            autocorrelation=rho,
            per_check_alpha=cal.per_check[self.name],
            k=c,
            extra=extra,
        )
        self._history = deque([centre] * len(self.weights), maxlen=len(self.weights))
        self._streak = 0
        return self.baseline

    def _judge(self, stat: float) -> tuple[bool, float]:
        b = self._need_baseline()
        centre = float(b.extra["centre"])
        score = (stat - centre) / self._scale if self._scale > 0 else _sign(stat - centre)
        up, down = stat > b.high, stat < b.low
        if self.spec.direction == "up":
            return up, score
        if self.spec.direction == "down":
            return down, score
        return up or down, score

    def _need_baseline(self) -> Baseline:
        if self.baseline is None:
            raise BaselineError("no baseline learned yet: call fit() before check()")
        return self.baseline

    def check(self, value: float) -> AnomalyVerdict:
        """Judge the next reading (a non-finite one fails closed: anomalous and confirmed)."""
        b = self._need_baseline()
        centre = float(b.extra["centre"])
        if not math.isfinite(value):
            self._streak = max(self._streak, self.spec.confirm)
            return AnomalyVerdict(
                True, True, centre, b.low, b.high, math.inf, value, "not a finite number"
            )
        self._history.appendleft(min(max(float(value), self._fence[0]), self._fence[1]))
        stat = float(sum(w * h for w, h in zip(self.weights, self._history, strict=True)))
        anomalous, score = self._judge(stat)
        self._streak = self._streak + 1 if anomalous else 0
        confirmed = self._streak >= self.spec.confirm
        reason = "outside the baseline band" if anomalous else ""
        return AnomalyVerdict(anomalous, confirmed, centre, b.low, b.high, score, stat, reason)

    def scan(self, values: Any) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
        """Statistic, anomalous and confirmed for a whole series at once (from a fresh fit)."""
        import numpy as np

        b = self._need_baseline()
        centre = float(b.extra["centre"])
        x = np.asarray(values, dtype=float)
        w = self.weights
        clipped = np.clip(np.where(np.isfinite(x), x, centre), *self._fence)
        padded = np.concatenate([np.full(len(w) - 1, centre), clipped])
        stat = np.convolve(padded, w, mode="valid")
        if self.spec.direction == "up":
            anomalous = stat > b.high
        elif self.spec.direction == "down":
            anomalous = stat < b.low
        else:
            anomalous = (stat > b.high) | (stat < b.low)
        anomalous |= ~np.isfinite(x)
        return stat, anomalous, confirmed_runs(anomalous, self.spec.confirm)


def confirmed_runs(anomalous: NDArray[np.bool_], confirm: int) -> NDArray[np.bool_]:
    """True where the last ``confirm`` entries (along the last axis) are all True."""
    import numpy as np

    a = anomalous.astype(np.int64)
    csum = np.cumsum(a, axis=-1)
    shifted = np.zeros_like(csum)
    shifted[..., confirm:] = csum[..., :-confirm]
    out: NDArray[np.bool_] = (csum - shifted) >= confirm
    return out


def _sign(x: float) -> float:
    return 0.0 if x == 0 else math.copysign(math.inf, x)
