"""The null model a baseline is fitted to, and the estimators and filters the detectors share.

Readings without a change are modelled as a stationary AR(1) series (lag-1 correlation ρ) whose
innovations are Student-t with ν degrees of freedom (ν = ∞: Gaussian). From the baseline:

* ρ: the bias-corrected lag-1 autocorrelation plus one standard error ``sqrt((1-ρ²)/n)`` (the
  false-alarm rate is very convex in ρ: at the point estimate it was 4× the target on AR(1)
  readings), at least what the source's overlapping windows imply, and spread in the simulation
  by that standard error;
* ν (:func:`estimate_nu`): from Geary's ratio ``mean|x - x̄| / sd`` (0.798 for a Gaussian, 0.637
  for t₃) on a coarse grid, spread in the simulation by the ratio's standard error.

The same functions compute a detector's centre, scale and statistic on the real readings and on
the simulated ones (:mod:`~chaosguard.slo.anomaly.calibrate`), so that the thresholds are
calibrated on exactly what the detector computes. They work on the last axis of 2-D arrays (one
row per series). numpy is imported by callers only.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "NU_GRID",
    "geary_ratio",
    "nu_for_ratio",
    "GEARY_SE",
    "estimate_nu",
    "sd_correction",
    "centre_scale",
    "smooth",
    "weights_for",
    "SMOOTHERS",
]

#: Degrees of freedom the tail weight is rounded to (heavier: down); inf is the Gaussian.
NU_GRID = (3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 30.0, math.inf)

#: Detectors whose statistic mixes several readings: their input is clipped at a fence.
SMOOTHERS = ("moving-average", "ewma", "holt")

#: Standard error of Geary's ratio for n Gaussian readings is about GEARY_SE / sqrt(n).
GEARY_SE = 0.2661


@lru_cache(maxsize=64)
def geary_ratio(nu: float) -> float:
    """E|T - μ| / sd(T) for Student's t with ``nu`` > 2 degrees of freedom (Gaussian: √(2/π))."""
    if math.isinf(nu):
        return math.sqrt(2.0 / math.pi)
    log_mad = (
        math.log(2.0 * math.sqrt(nu))
        + math.lgamma((nu + 1.0) / 2.0)
        - 0.5 * math.log(math.pi)
        - math.log(nu - 1.0)
        - math.lgamma(nu / 2.0)
    )
    return math.exp(log_mad) / math.sqrt(nu / (nu - 2.0))


def nu_for_ratio(ratio: float) -> float:
    """The largest ``NU_GRID`` value whose Geary ratio is at most ``ratio`` (heavier: rounded
    down); the heaviest, 3, below its ratio."""
    fitting = [nu for nu in NU_GRID if geary_ratio(nu) <= ratio]
    return fitting[-1] if fitting else NU_GRID[0]


def estimate_nu(x: NDArray[np.float64]) -> float:
    """Tail weight of the baseline as Student-t degrees of freedom, rounded to the heavier side.

    Geary's ratio of the readings mapped by :func:`nu_for_ratio`. 60 readings say little about
    tails (the ratio's standard error is ``0.266/√n``): the calibration spreads ν by that error
    rather than trusting the estimate. A baseline with no spread is Gaussian by convention.
    """
    import numpy as np

    d = x - x.mean()
    sd = float(np.sqrt(np.mean(d * d)))
    if sd <= 0.0 or len(x) < 3:
        return math.inf
    return nu_for_ratio(float(np.mean(np.abs(d))) / sd)


def sd_correction(n: int, rho: float) -> float:
    """Factor that unbiases the sample variance of ``n`` AR(1) readings (its sd, to first order).

    The sample variance of correlated readings is biased low by about ``τ/n``, with
    ``τ = (1+ρ)/(1-ρ)`` the integrated autocorrelation time.
    """
    tau = (1.0 + rho) / (1.0 - rho)
    return math.sqrt((n - 1.0) / (n - tau)) if n > tau + 1 else 1.0


def centre_scale(
    name: str, x: NDArray[np.float64], rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Centre and scale of each row of ``x`` as detector ``name`` estimates them.

    ``iqr``: median and IQR / 1.349 (the sd where the IQR is 0: mostly ties); the others: mean
    and sd, the sd unbiased for autocorrelation (:func:`sd_correction`).
    """
    import numpy as np

    n = x.shape[-1]
    sd = x.std(axis=-1, ddof=1) * sd_correction(n, rho)
    if name != "iqr":
        return x.mean(axis=-1), sd
    q1, median, q3 = np.percentile(x, [25, 50, 75], axis=-1)
    iqr = q3 - q1
    return median, np.where(iqr > 0, iqr / 1.349, sd)


def weights_for(
    name: str, *, window: int, smoothing: float, trend_smoothing: float, horizon: int
) -> NDArray[np.float64]:
    """The filter weights of detector ``name`` (newest reading first, summing to 1)."""
    import numpy as np

    if name not in SMOOTHERS:
        return np.ones(1)
    if name == "moving-average":
        return np.full(window, 1.0 / window)
    b = trend_smoothing if name == "holt" else 0.0
    h = horizon if name == "holt" else 0
    # impulse response of the recursion in smooth(): one reading of 1 after a constant 0
    out: list[float] = []
    level, trend = 0.0, 0.0
    for i in range(2000):
        x = 1.0 if i == 0 else 0.0
        new_level = smoothing * x + (1.0 - smoothing) * (level + trend)
        trend = b * (new_level - level) + (1.0 - b) * trend
        level = new_level
        out.append(level + h * trend)
        if i > 5 and abs(out[-1]) < 1e-10 and abs(trend) < 1e-10:
            break
    w: NDArray[np.float64] = np.array(out) / sum(out)
    return w


def smooth(
    name: str,
    x: NDArray[np.float64],
    centre: NDArray[np.float64],
    fence: NDArray[np.float64],
    *,
    window: int,
    smoothing: float,
    trend_smoothing: float,
    horizon: int,
) -> NDArray[np.float64]:
    """The statistic of detector ``name`` for each row of ``x`` (the run's readings).

    ``zscore``/``iqr``: the reading itself. Smoothers: readings first clipped to ``centre ±
    fence`` (a lone spike moves the smoothed value by at most its weight × fence; a sustained step
    still carries it to the fence), the filter starting from ``centre`` (the baseline alone judges
    the first checks). The recursions equal :func:`~chaosguard.slo.anomaly.detectors.weights_for`.
    """
    import numpy as np

    if name not in SMOOTHERS:
        return x
    c = centre[..., None]
    f = fence[..., None]
    clipped = np.clip(x, c - f, c + f)
    if name == "moving-average":
        pad = np.broadcast_to(c, (*x.shape[:-1], window - 1))
        csum = np.cumsum(np.concatenate([pad, clipped], axis=-1), axis=-1)
        csum = np.concatenate([np.zeros((*x.shape[:-1], 1)), csum], axis=-1)
        out: NDArray[np.float64] = (csum[..., window:] - csum[..., :-window]) / window
        return out
    a = smoothing
    b = trend_smoothing if name == "holt" else 0.0
    h = horizon if name == "holt" else 0
    level = np.broadcast_to(centre, x.shape[:-1]).astype(float)
    trend = np.zeros_like(level)
    stat = np.empty_like(clipped)
    for t in range(x.shape[-1]):
        new_level = a * clipped[..., t] + (1.0 - a) * (level + trend)
        trend = b * (new_level - level) + (1.0 - b) * trend
        level = new_level
        stat[..., t] = level + h * trend
    return stat
