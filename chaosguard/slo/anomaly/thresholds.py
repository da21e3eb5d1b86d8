"""The analytic Gaussian model of a filter's statistic (numpy, imported by callers).

The detectors' thresholds are calibrated by simulation (:mod:`~chaosguard.slo.anomaly.calibrate`);
this module gives what the simulation normalises by (the statistic's variance factor ``V`` and the
effective baseline size) and the ρ estimate, and keeps the closed-form threshold below, exact for
Gaussian AR(1) readings, as a cross-check (tested against simulation) and for the smoothers' fence.

A detector's statistic is a linear filter of the readings, ``stat_t = Σ w_i x_{t-i}`` with
``Σ w_i = 1`` (one weight for the z-score, ``window`` equal weights for the moving average, the
impulse response of the recursions for EWMA and Holt). With readings modelled as a Gaussian AR(1)
series (mean μ, sd σ, lag-1 correlation ρ; ρ = 0 is white noise):

* the statistic is Gaussian with mean μ and variance ``V σ²``, ``V = Σ_i Σ_l w_i w_l ρ^|i-l|``
  (:func:`filter_model`), and its integrated autocorrelation time ``τ`` says how many consecutive
  checks make one independent check (``block = round(τ)``);
* μ and σ are *estimated* from ``n`` baseline readings, worth ``n_eff = n (1-ρ)/(1+ρ)`` independent
  ones; the band is ``mean ± c · s · sqrt(V + 1/n_eff)``;
* a run has ``m`` checks, i.e. ``m_eff = ceil(m / block)`` independent chances of a false alarm
  (union bound), and a breach needs ``confirm`` consecutive anomalous checks, i.e.
  ``j = ceil(confirm / block)`` independent ones in a row;
* ``c`` (:func:`multiplier`) solves ``m_eff · E_B[p(B)^j] = α_side``, where ``p(B)`` is one check's
  tail probability given the learned baseline B and the expectation runs over the baseline's
  sampling distribution. For ``j = 1`` that is exactly the t prediction interval,
  ``c = t_{n_eff-1}^{-1}(1 - α_side / m_eff)``; for ``j ≥ 2`` it is a two-dimensional quadrature
  (not ``(α/m)^{1/j}``, which assumes the baseline is known: the same unlucky baseline makes every
  check of the run likelier to exceed, so ``E[p^j] > E[p]^j``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chaosguard.slo.anomaly.tdist import t_isf

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "FilterModel",
    "filter_model",
    "effective_n",
    "rho_for_thin",
    "estimate_rho",
    "rho_se",
    "multiplier",
    "RHO_MAX",
]

#: The largest lag-1 correlation believed (beyond it the baseline says next to nothing).
RHO_MAX = 0.95


@dataclass(frozen=True)
class FilterModel:
    """Variance factor ``v`` of a filter's output and the checks per independent check."""

    v: float
    tau: float

    @property
    def block(self) -> int:
        """Consecutive checks counted as one independent check: ``τ`` rounded, at least 1."""
        return max(1, math.floor(self.tau + 0.5))


def rho_for_thin(thin: int) -> float:
    """The AR(1) ρ whose integrated autocorrelation time (1+ρ)/(1-ρ) is ``thin``."""
    return min(RHO_MAX, (thin - 1.0) / (thin + 1.0))


def effective_n(n: int, rho: float) -> float:
    """Independent readings ``n`` AR(1) readings are worth for their mean (at least 2)."""
    return max(2.0, n * (1.0 - rho) / (1.0 + rho))


def estimate_rho(values: NDArray[np.float64], *, upper: bool = True) -> float:
    """Lag-1 autocorrelation of the baseline: bias-corrected, rounded UP to a 0.05 grid, within
    [0, RHO_MAX]. ``upper`` (what the detectors use): one standard error (:func:`rho_se`) up, an
    upper bound rather than an estimate, since a short baseline says little about ρ and the
    false-alarm rate grows fast with it; without it, the point estimate."""
    import numpy as np

    x = values - values.mean()
    den = float(np.dot(x, x))
    if den <= 0.0 or len(x) < 3:
        return 0.0
    r = float(np.dot(x[:-1], x[1:])) / den
    r += (1.0 + 4.0 * r) / len(x)  # Marriott-Pope bias of the estimate
    if upper:
        r += rho_se(r, len(x))  # one standard error up: 30 readings say little
    # rounded UP to a 0.05 grid: conservative, and few distinct thresholds to compute
    return min(RHO_MAX, max(0.0, math.ceil(r * 20.0 - 1e-9) / 20.0))


def rho_se(rho: float, n: int) -> float:
    """Standard error of a lag-1 autocorrelation estimated from ``n`` AR(1) readings."""
    return math.sqrt(max(0.0, 1.0 - rho * rho) / max(n, 1))


def filter_model(weights: NDArray[np.float64], rho: float) -> FilterModel:
    """Variance factor and autocorrelation time of ``stat = Σ w_i x_{t-i}`` on AR(1) input."""
    import numpy as np

    w = np.asarray(weights, dtype=float)
    auto = np.convolve(w, w[::-1])  # Σ_i w_i w_{i+d}, d = -(W-1) .. W-1
    lags = np.arange(-(len(w) - 1), len(w))
    reach = len(w) + (math.ceil(math.log(1e-9) / math.log(rho)) if rho > 0 else 0)
    h = np.arange(0, reach + 1)
    gamma = (auto[None, :] * _pow(rho, np.abs(h[:, None] - lags[None, :]))).sum(axis=1)
    v = float(gamma[0])
    tau = 1.0 + 2.0 * float(np.clip(gamma[1:] / v, 0.0, None).sum()) if v > 0 else 1.0
    return FilterModel(v=v, tau=tau)


def _pow(rho: float, k: Any) -> Any:
    import numpy as np

    if rho <= 0.0:
        return (k == 0).astype(float)
    return np.power(rho, k)


def _erfc(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Complementary error function, vectorised (Chebyshev fit, relative error < 1.2e-7)."""
    import numpy as np

    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = (
        -z * z
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t
                        * (
                            0.27886807
                            + t
                            * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    r = t * np.exp(poly)
    out: NDArray[np.float64] = np.where(x >= 0, r, 2.0 - r)
    return out


@lru_cache(maxsize=8192)
def _grid(df: float) -> tuple[Any, Any, Any, Any]:
    """Quadrature nodes: Gauss-Hermite for the mean's error, a log grid for s/σ (χ_df/√df)."""
    import numpy as np

    z, wz = np.polynomial.hermite_e.hermegauss(48)
    wz = wz / wz.sum()
    # y = ln(s²/σ²); s²/σ² ~ Gamma(df/2, scale 2/df); density of y ∝ exp(df/2 · (y - e^y)).
    sd_y = math.sqrt(2.0 / df) + 0.05
    y = np.linspace(-(46.0 / df) - 12.0 * sd_y, 14.0 * sd_y, 700)
    log_dens = 0.5 * df * (y - np.exp(y))
    wy = np.exp(log_dens - log_dens.max())
    wy = wy / wy.sum()
    return z, wz, np.exp(0.5 * y), wy


def _mean_tail_power(c: float, n_centre: float, df: float, v: float, j: int) -> float:
    """E over the baseline of P(one check exceeds centre + c·s·sqrt(v + 1/n_centre))^j."""
    import numpy as np

    z, wz, s, ws = _grid(df)
    width = c * math.sqrt(v + 1.0 / n_centre)
    arg = (z[:, None] / math.sqrt(n_centre) + width * s[None, :]) / math.sqrt(v)
    p = 0.5 * _erfc(arg / math.sqrt(2.0))
    return float(np.einsum("i,ij,j->", wz, p**j, ws))


@lru_cache(maxsize=65536)
def _multiplier(tail: float, n_centre: float, df: float, v: float, j: int) -> float:
    if j <= 1:
        return t_isf(tail, df)
    lo, hi = 0.0, max(1.0, t_isf(min(0.5, tail ** (1.0 / j)), df))
    while _mean_tail_power(hi, n_centre, df, v, j) > tail:
        lo, hi = hi, hi * 2.0
        if hi > 1e9:
            return math.inf
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _mean_tail_power(mid, n_centre, df, v, j) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-5 * hi:
            break
    return hi


def multiplier(tail: float, n_centre: float, df: float, v: float, j: int) -> float:
    """The ``c`` with ``E_B[p(B)^j] = tail`` (module docstring); inputs rounded for caching.

    ``n_centre``: readings the centre estimate is worth; ``df``: degrees of freedom of the scale
    estimate (``n_eff - 1`` for mean and sd); ``v``: the statistic's variance factor; ``j``:
    independent checks in a confirmation.
    """
    return _multiplier(
        float(f"{tail:.6g}"),
        round(max(1.0, n_centre), 1),
        _df_down(df),
        float(f"{v:.4g}"),
        max(1, j),
    )


def _df_down(df: float) -> float:
    """Degrees of freedom rounded DOWN (wider band) to a coarse grid, for caching."""
    if df >= 20:
        return float(math.floor(df))
    return max(1.0, math.floor(df * 4.0) / 4.0)
