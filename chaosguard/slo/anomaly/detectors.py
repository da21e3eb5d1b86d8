"""The single detectors: a linear filter of the readings judged against a Gaussian band.

=================  =============================  ==========================================
detector           statistic judged               baseline centre and scale
=================  =============================  ==========================================
``zscore``         the reading                    mean, sd
``moving-average`` mean of the last ``window``    mean, sd
``ewma``           λ·x + (1-λ)·previous           mean, sd
``holt``           level + ``horizon`` × trend    mean, sd
``iqr``            the reading                    median, IQR / 1.349 (robust to outliers)
=================  =============================  ==========================================

The band is ``centre ± c · scale · sqrt(V + 1/n_eff)`` with ``c`` from
:mod:`~chaosguard.slo.anomaly.thresholds`, widened to the practical-significance floors
``max(min_change · |centre|, min_abs_change)``. Only ``direction``'s side is enforced. The filter
starts from the baseline's centre, so the first checks are judged against the baseline alone.
``check`` and ``scan`` (a whole series at once, for benchmarks and tests) give the same verdicts.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any

from chaosguard.slo.anomaly.base import AnomalyVerdict, Baseline, BaselineError
from chaosguard.slo.anomaly.spec import MIN_BASELINE, AnomalySpec, checks_per_run_for
from chaosguard.slo.anomaly.thresholds import (
    FilterModel,
    effective_n,
    estimate_rho,
    filter_model,
    multiplier,
    rho_for_thin,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["FilterDetector", "weights_for", "baseline_array"]

#: IQR-based estimates are worth fewer readings than the mean and sd (asymptotic efficiencies
#: under normality: the median 2/π ≈ 0.64, the IQR's scale about 0.37).
_MEDIAN_EFFICIENCY = 2.0 / math.pi
_IQR_EFFICIENCY = 0.37


def weights_for(name: str, spec: AnomalySpec) -> NDArray[np.float64]:
    """The filter weights of detector ``name`` (newest reading first, summing to 1)."""
    import numpy as np

    if name in ("zscore", "iqr"):
        return np.ones(1)
    if name == "moving-average":
        return np.full(spec.window, 1.0 / spec.window)
    level_a = spec.smoothing
    trend_b = spec.trend_smoothing if name == "holt" else 0.0
    horizon = spec.horizon if name == "holt" else 0
    # impulse response of the recursion: one reading of 1 after a constant 0, then zeros
    out: list[float] = []
    level, trend = 0.0, 0.0
    for i in range(2000):
        x = 1.0 if i == 0 else 0.0
        new_level = level_a * x + (1.0 - level_a) * (level + trend)
        trend = trend_b * (new_level - level) + (1.0 - trend_b) * trend
        level = new_level
        out.append(level + horizon * trend)
        if i > 5 and abs(out[-1]) < 1e-10 and abs(trend) < 1e-10:
            break
    w: NDArray[np.float64] = np.array(out) / sum(out)
    return w


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
        self.alpha = alpha  # this detector's share of the run's alpha (the ensemble splits it)
        self.source_thin = max(1, thin)
        self.checks_per_run = checks_per_run_for(spec.checks_per_run, interval_s)
        self.weights = weights_for(name, spec)
        self.baseline: Baseline | None = None
        self._history: deque[float] = deque(maxlen=len(self.weights))
        self._streak = 0
        self._scale = 0.0  # sd of the statistic under the baseline model (score unit)
        self._models: dict[float, FilterModel] = {}  # by rho: the weights are fixed

    def fit(self, values: Any) -> Baseline:
        """Learn centre, scale, autocorrelation and the band; reset the streaming state."""
        import numpy as np

        x = baseline_array(values, max(self.min_baseline, self.spec.baseline_readings))
        n = len(x)
        if self.spec.thin is not None:
            rho, thin = rho_for_thin(self.spec.thin), self.spec.thin
        else:
            rho = max(rho_for_thin(self.source_thin), estimate_rho(x))
            thin = max(1, math.ceil((1 + rho) / (1 - rho) - 1e-9))
        n_eff = effective_n(n, rho)
        tau_in = (1.0 + rho) / (1.0 - rho)
        mean, sd = float(x.mean()), float(x.std(ddof=1))
        if n > tau_in + 1:  # the sample variance of correlated readings is biased low
            sd *= math.sqrt((n - 1.0) / (n - tau_in))
        centre, scale, n_centre = mean, sd, n_eff
        df = _scale_df(x, n_eff)
        extra: dict[str, Any] = {}
        if self.name == "iqr":
            q1, median, q3 = (float(q) for q in np.percentile(x, [25, 50, 75]))
            iqr = q3 - q1
            centre = median
            scale = iqr / 1.349 if iqr > 0 else sd  # mostly ties: fall back to the sd
            n_centre = max(2.0, _MEDIAN_EFFICIENCY * n_eff)
            df = max(1.0, min(df, _IQR_EFFICIENCY * n_eff - 1.0))
            extra = {"q1": q1, "median": median, "q3": q3, "iqr": iqr}
        model = self._models.get(rho)
        if model is None:
            model = self._models[rho] = filter_model(self.weights, rho)
        block = model.block
        m_eff = math.ceil(self.checks_per_run / block)
        j = math.ceil(self.spec.confirm / block)
        sides = 2 if self.spec.direction == "both" else 1
        tail = self.alpha / sides / m_eff
        c = multiplier(tail, n_centre, df, model.v, j)
        self._scale = scale * math.sqrt(model.v + 1.0 / n_centre)
        floor = max(self.spec.min_change * abs(centre), self.spec.min_abs_change)
        half = c * self._scale
        self.baseline = Baseline(
            detector=self.name,
            n=n,
            mean=mean,
            sd=sd,
            low=min(centre - half, centre - floor),
            high=max(centre + half, centre + floor),
            n_eff=n_eff,
            thin=thin,
            autocorrelation=rho,
            per_check_alpha=tail,
            k=c,
            extra={**extra, "centre": centre, "confirm_blocks": j, "checks_per_block": block},
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
        self._history.appendleft(float(value))
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
        padded = np.concatenate([np.full(len(w) - 1, centre), x])
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


def _scale_df(x: NDArray[np.float64], n_eff: float) -> float:
    """Degrees of freedom the sd estimate is worth, lowered for heavy tails.

    ``Var(s²/σ²) ≈ 2/(n-1) + (κ-3)/n`` for kurtosis κ (3 for the normal); the equivalent χ² has
    ``df = 2 / Var(s²/σ²)``. κ is the baseline's sample kurtosis (at least 3).
    """
    import numpy as np

    d = x - x.mean()
    m2 = float(np.mean(d * d))
    kurt = float(np.mean(d**4)) / (m2 * m2) if m2 > 0 else 3.0
    excess = max(0.0, kurt - 3.0)
    return max(1.0, 2.0 / (2.0 / (n_eff - 1.0) + excess / n_eff)) if n_eff > 1 else 1.0


def _sign(x: float) -> float:
    return 0.0 if x == 0 else math.copysign(math.inf, x)
