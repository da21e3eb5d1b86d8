"""The ``shift`` detector's maths: prewhitened residuals and a window-limited level-shift test.

Readings are modelled as AR(1) around a level μ: ``x_t − μ = φ (x_{t−1} − μ) + e_t``. From the
baseline (:func:`fit_rows`): μ the mean, φ the bias-corrected lag-1 autocorrelation (point
estimate, within [0, RHO_MAX]), σ the sd of the baseline's one-step residuals ``e_t``. Each check
is turned into its *prediction residual* in units of σ, clipped at ``±CLIP`` (a lone outlier of a
heavy-tailed series weighs at most ``CLIP``)::

    u_t = clip((x_t − μ − φ (x_{t−1} − μ)) / σ, −CLIP, CLIP)     (the first check: x_{−1} = μ)

Without a change, ``u`` is close to white noise whatever φ (the autocorrelation is *modelled*,
not thinned away). A level shift of δ at check τ shows in the residuals as δ at τ, then
(1 − φ)·δ at every later check: a big step is seen at once, and the later checks keep adding
evidence. The statistic (:func:`shift_statistic`) is the likelihood-ratio test of "the level
moved j checks ago", maximised over ``j < window`` (a window-limited GLR, Willsky & Jones 1976):

    Z_t = max_j (u_{t−j} + g · Σ_{s=t−j+1..t} u_s) / sqrt(1 + j g²),   g = 1 − φ

``Z`` is N(0, 1) for a fixed j when the model holds exactly. The window bounds how much a
persistent estimation error (μ, φ, σ come from one baseline) can accumulate, which a CUSUM over
the whole run does without limit. The threshold on ``Z`` is calibrated by simulation like the
other detectors' (:mod:`~chaosguard.slo.anomaly.calibrate`): each simulated run re-estimates μ, φ
and σ from its own simulated baseline, so their sampling error is in the threshold.

Vectorised over rows (one series per row); numpy is imported inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaosguard.slo.anomaly.thresholds import RHO_MAX

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "CLIP",
    "BIG",
    "fit_rows",
    "residuals",
    "shift_statistic",
    "directed",
]

#: Residuals are clipped at this many σ (heavy tails: one outlier weighs at most this).
CLIP = 6.0
#: A residual's size when the baseline has no spread at all (σ = 0) and the reading moved.
BIG = 1e6


def fit_rows(
    x: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Level μ, autocorrelation φ and residual sd σ of each row of the baseline ``x``."""
    import numpy as np

    n = x.shape[-1]
    mu = x.mean(axis=-1)
    d = x - mu[..., None]
    den = (d * d).sum(axis=-1)
    raw = np.divide(
        (d[..., 1:] * d[..., :-1]).sum(axis=-1), den, where=den > 0, out=np.zeros_like(mu)
    )
    phi = np.clip(raw + (1.0 + 4.0 * raw) / n, 0.0, RHO_MAX)  # Marriott-Pope bias
    phi = np.where(den > 0, phi, 0.0)
    e = d[..., 1:] - phi[..., None] * d[..., :-1]
    sigma = e.std(axis=-1, ddof=1) if n > 2 else np.zeros_like(mu)
    return mu, phi, sigma


def residuals(
    run: NDArray[np.float64],
    mu: NDArray[np.float64],
    phi: NDArray[np.float64],
    sigma: NDArray[np.float64],
    *,
    clip: float | None = None,
) -> NDArray[np.float64]:
    """Clipped standardized prediction residuals ``u`` of each row of ``run`` (module doc); the
    first check is predicted by the level μ. A row whose σ is 0 gives ``±BIG`` for any move (a
    constant baseline flags every change), 0 otherwise. ``clip=math.inf``: the raw residuals."""
    import numpy as np

    clip = CLIP if clip is None else clip
    d = run - mu[..., None]
    lagged = np.concatenate([np.zeros((*d.shape[:-1], 1)), d[..., :-1]], axis=-1)
    e = d - phi[..., None] * lagged
    s = sigma[..., None]
    u = np.where(s > 0, np.clip(e / np.where(s > 0, s, 1.0), -clip, clip), np.sign(e) * BIG)
    out: NDArray[np.float64] = u
    return out


def shift_statistic(
    u: NDArray[np.float64],
    g: NDArray[np.float64],
    window: int,
    raw: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``Z`` (the largest standardized evidence of an upward shift that began less than
    ``window`` checks ago) and ``delta``, the size of that shift in σ units, per row and check.

    ``g`` = 1 − φ per row. ``delta`` is estimated from ``raw`` (the unclipped residuals; default
    ``u``): clipping bounds the evidence a reading adds, not the size of a real shift.
    """
    import numpy as np

    m = u.shape[-1]
    gg = g[..., None]
    r = u if raw is None else raw
    zeros = np.zeros((*u.shape[:-1], 1))
    csum = np.concatenate([zeros, np.cumsum(u, axis=-1)], axis=-1)
    rsum = np.concatenate([zeros, np.cumsum(r, axis=-1)], axis=-1)
    z = np.full(u.shape, -np.inf)
    delta = np.zeros(u.shape)
    for j in range(min(window, m)):
        t = np.arange(j, m)
        den = 1.0 + j * gg * gg
        zj = (u[..., t - j] + gg * (csum[..., t + 1] - csum[..., t - j + 1])) / np.sqrt(den)
        dj = (r[..., t - j] + gg * (rsum[..., t + 1] - rsum[..., t - j + 1])) / den
        better = zj > z[..., t]
        z[..., t] = np.where(better, zj, z[..., t])
        delta[..., t] = np.where(better, dj, delta[..., t])
    return z, delta


def directed(
    u: NDArray[np.float64], g: NDArray[np.float64], window: int, direction: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``Z`` and the signed shift estimate on ``direction``'s side (``both``: the larger side)."""
    import numpy as np

    if direction == "up":
        return shift_statistic(u, g, window)
    z_down, d_down = shift_statistic(-u, g, window)
    if direction == "down":
        return z_down, -d_down
    z_up, d_up = shift_statistic(u, g, window)
    up: Any = z_up >= z_down
    return np.where(up, z_up, z_down), np.where(up, d_up, -d_down)
