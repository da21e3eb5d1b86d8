"""Thresholds calibrated by simulation from the fitted baseline model (a parametric bootstrap).

At fit time, ``sims`` null runs are drawn from the model the baseline was fitted to
(:mod:`~chaosguard.slo.anomaly.model`: AR(1) with the baseline's ρ, Student-t innovations with
its ν): ``n`` baseline readings then ``m`` checks each. Every member detector does on each
simulated run exactly what it does live — estimates its centre and scale from the simulated
baseline, clips and smooths the simulated checks, and counts consecutive exceedances — with the
statistic in units ``z = (stat − centre) / (scale · unit)``, ``unit = sqrt(V + 1/n_eff)`` (the
analytic Gaussian prediction sd of :mod:`~chaosguard.slo.anomaly.thresholds`, so that ``c``
stays comparable with the t prediction interval). Centre and scale are location-scale
equivariant, so the simulation needs neither the baseline's mean nor its sd: only ``n``, ``m``,
ρ, ν and the detector's parameters, which is what results are cached by. ``shift``
(:mod:`~chaosguard.slo.anomaly.residual`) re-estimates μ, φ and σ on every simulated baseline and
its statistic is standardized already (``unit`` 1); its simulated ρ is centred on
``Setting.truth_rho`` (the point estimate) rather than on ``rho`` (the filters' upper bound).

* One detector: ``c`` is the order statistic of the runs' maxima of ``min(z over confirm
  consecutive checks)`` such that at most ``target × sims`` simulated runs breach.
* The ensemble (``k`` of ``n`` members confirmed at the same check): every member gets the same
  *run-level* share ``q`` (its own threshold is the quantile of its maxima at ``1 − q``), and
  ``q`` is the largest for which at most ``target × sims`` simulated runs see ``k`` members
  confirmed at once. This is the ensemble's own false-alarm rate under the model, not a bound.

``target = SAFETY × alpha``: half of alpha is left for what the simulation cannot know (ρ and ν
are estimated from one baseline, real series are not exactly AR(1)-t) and for its own sampling
error (``sims`` ≥ 4,000: ≥ 20 simulated breaches at the target). Draws use a fixed seed: the same
baseline always gives the same thresholds. Cost: a few hundred ms per distinct setting, cached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chaosguard.slo.anomaly import residual
from chaosguard.slo.anomaly.model import (
    GEARY_SE,
    SMOOTHERS,
    centre_scale,
    geary_ratio,
    nu_for_ratio,
    smooth,
    weights_for,
)
from chaosguard.slo.anomaly.tdist import t_isf
from chaosguard.slo.anomaly.thresholds import RHO_MAX, effective_n, filter_model

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["Setting", "Calibration", "calibrate", "unit", "fence_units", "SAFETY", "SEED"]

#: Share of alpha the simulated false-alarm rate is set to (the rest: the model's own error).
SAFETY = 0.5
#: Seed of the simulated runs (common random numbers: thresholds vary smoothly with ρ and ν).
SEED = 20261130
#: A smoother's input is clipped at least this many scales from the centre.
MIN_FENCE = 4.0


@dataclass(frozen=True)
class Setting:
    """Everything a calibration depends on (the cache key)."""

    n: int
    m: int
    rho: float
    nu: float
    confirm: int
    direction: str
    window: int
    smoothing: float
    trend_smoothing: float
    horizon: int
    #: spread of the simulated runs' ρ around ``rho`` (0: ρ is known, e.g. the block's ``thin``)
    rho_se: float = 0.0
    rho_floor: float = 0.0
    #: whether the simulated runs' ν spreads around ``nu`` (False: exactly ``nu``)
    nu_spread: bool = False
    #: centre of the simulated runs' ρ when it differs from the ρ the filters assume (``rho``,
    #: an upper bound): the point estimate, for detectors that re-estimate φ on every run
    truth_rho: float | None = None

    def params(self) -> dict[str, Any]:
        """The filter parameters, as :func:`~chaosguard.slo.anomaly.model.smooth` takes them."""
        return {
            "window": self.window,
            "smoothing": self.smoothing,
            "trend_smoothing": self.trend_smoothing,
            "horizon": self.horizon,
        }


@dataclass(frozen=True)
class Calibration:
    """Per member: threshold ``c`` (z units), fence (scale units), simulated per-check tail and
    run-level breach share; ``achieved``: simulated share of runs that breach (the whole
    detector or ensemble); ``target``: what it was set to; ``sims``: simulated runs."""

    c: dict[str, float]
    fence: dict[str, float]
    per_check: dict[str, float]
    run_level: dict[str, float]
    achieved: float
    target: float
    sims: int


@lru_cache(maxsize=256)
def unit(name: str, setting: Setting) -> float:
    """Sd of ``stat − centre`` in units of the readings' sd under the Gaussian AR(1) model
    (``shift``: 1, its statistic is standardized already)."""
    if name == "shift":
        return 1.0
    model = filter_model(weights_for(name, **setting.params()), setting.rho)
    return math.sqrt(model.v + 1.0 / effective_n(setting.n, setting.rho))


def fence_units(name: str, setting: Setting, alpha: float) -> float:
    """Clip fence of a smoother's input, in scales: ``MIN_FENCE``, or 1.5 × the smoother's
    analytic band (t prediction interval at ``alpha / checks``) when that is wider, so that a
    sustained step clipped at the fence still carries the smoothed value well past the band."""
    if name not in SMOOTHERS:
        return math.inf
    df = max(1.0, effective_n(setting.n, setting.rho) - 1.0)
    c = t_isf(min(0.5, alpha / setting.m), df)
    return max(MIN_FENCE, 1.5 * c * unit(name, setting))


def sims_for(target: float) -> int:
    """Simulated runs: at least 4,000 and 20 expected breaches at the target, at most 40,000."""
    return int(min(40_000, max(4_000, math.ceil(20.0 / target))))


@lru_cache(maxsize=1)  # the last setting's draws (the benchmark calibrates each member apart)
def _null_runs(setting: Setting, sims: int) -> NDArray[np.float64]:
    """``sims`` stationary AR(1) series of ``n + m`` unit-variance readings, t innovations.

    Each simulated run draws its own ρ and ν around the baseline's estimates, by their sampling
    error (ρ: ``sqrt((1-ρ²)/n)``, never below ``rho_floor``; ν: Geary's ratio ± ``0.266/√n``
    mapped back to ``NU_GRID``), so that the thresholds allow for the estimates being wrong.
    """
    import numpy as np

    rng = np.random.default_rng(SEED)
    n, m = setting.n, setting.m
    rho = np.full(sims, setting.rho if setting.truth_rho is None else setting.truth_rho)
    if setting.rho_se > 0:
        rho = np.clip(rho + setting.rho_se * rng.standard_normal(sims), setting.rho_floor, RHO_MAX)
    nus = np.full(sims, setting.nu)
    if setting.nu_spread:
        ratio = geary_ratio(setting.nu) + GEARY_SE / math.sqrt(n) * rng.standard_normal(sims)
        nus = np.array([nu_for_ratio(float(g)) for g in ratio])
    e = np.empty((sims, n + m))
    for nu in np.unique(nus):
        rows = nus == nu
        shape = (int(rows.sum()), n + m)
        if math.isinf(nu):
            e[rows] = rng.standard_normal(shape)
        else:
            e[rows] = rng.standard_t(nu, shape) * math.sqrt((nu - 2.0) / nu)
    x = np.empty_like(e)
    x[:, 0] = e[:, 0]  # stationary start: unit variance
    s = np.sqrt(1.0 - rho * rho)
    for t in range(1, n + m):
        x[:, t] = rho * x[:, t - 1] + s * e[:, t]
    return x


def _runs_of(name: str, setting: Setting, x: NDArray[np.float64], alpha: float) -> Any:
    """Per simulated run and check: the smallest ``z`` of the last ``confirm`` checks."""
    import numpy as np

    base, run = x[:, : setting.n], x[:, setting.n :]
    if name == "shift":  # its statistic is already standardized and directed
        mu, phi, sigma = residual.fit_rows(base)
        u = residual.residuals(run, mu, phi, sigma)
        z = residual.directed(u, 1.0 - phi, setting.window, setting.direction)[0]
    else:
        centre, scale = centre_scale(name, base, setting.rho)
        fence = fence_units(name, setting, alpha) * scale
        stat = smooth(name, run, centre, fence, **setting.params())
        z = (stat - centre[:, None]) / (scale[:, None] * unit(name, setting))
        if setting.direction == "down":
            z = -z
        elif setting.direction == "both":
            z = np.abs(z)
    r = z.copy()
    for lag in range(1, setting.confirm):
        r[:, lag:] = np.minimum(r[:, lag:], z[:, :-lag])
        r[:, :lag] = -np.inf  # fewer than `confirm` checks so far: never confirmed
    return r.astype(np.float32), z


@lru_cache(maxsize=512)
def calibrate(setting: Setting, members: tuple[str, ...], k: int, alpha: float) -> Calibration:
    """Thresholds for ``members`` (one: a single detector) so that ``k`` of them confirmed at
    the same check happens in at most ``SAFETY × alpha`` of simulated null runs."""
    import numpy as np

    target = SAFETY * alpha
    sims = sims_for(target)
    x = _null_runs(setting, sims)
    runs, zs = zip(*(_runs_of(name, setting, x, alpha) for name in members), strict=True)
    maxima = np.stack([r.max(axis=1) for r in runs])  # (members, sims)
    ordered = np.sort(maxima, axis=1)
    allowed = math.floor(target * sims)

    def thresholds(j: int) -> Any:  # each member alone breaches exactly j simulated runs
        return ordered[:, sims - 1 - j]

    def breaches(j: int) -> int:
        c = thresholds(j)
        if k == 1 and len(members) == 1:
            return int((maxima[0] > c[0]).sum())
        # only runs where k members breach at some check can breach together
        maybe = (maxima > c[:, None]).sum(axis=0) >= k
        if not maybe.any():
            return 0
        count = sum((r[maybe] > ci).astype(np.int8) for r, ci in zip(runs, c, strict=True))
        return int((count >= k).any(axis=1).sum())

    lo, hi = 0, sims - 1  # largest j with breaches(j) <= allowed (breaches grows with j)
    if breaches(hi) <= allowed:
        lo = hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if breaches(mid) <= allowed:
            lo = mid
        else:
            hi = mid
    c = thresholds(lo)
    return Calibration(
        c={name: float(ci) for name, ci in zip(members, c, strict=True)},
        fence={name: fence_units(name, setting, alpha) for name in members},
        per_check={
            name: float((z > ci).mean()) for name, z, ci in zip(members, zs, c, strict=True)
        },
        run_level={name: lo / sims for name in members},
        achieved=breaches(lo) / sims,
        target=target,
        sims=sims,
    )
