"""The ``shift`` detector: a level-shift test on the readings' prediction residuals.

It models the autocorrelation instead of thinning it away (:mod:`~chaosguard.slo.anomaly.residual`
has the maths): each reading is compared with its one-step prediction from the previous one,
``μ + φ (x_{t−1} − μ)``, and the residuals of the last ``window`` checks are tested for a level
shift (window-limited GLR). On autocorrelated readings (overlapping windows, ``rate()``) a step
shows in full at its first check and keeps adding evidence after, where a detector of raw readings
must widen its band for the autocorrelation. The threshold on the statistic is calibrated by
simulation for the per-run ``alpha`` (:mod:`~chaosguard.slo.anomaly.calibrate`).

A check is anomalous when the statistic exceeds the threshold *and* the estimated shift (of the
lag that maximises it, in the metric's unit) is at least the floor ``max(min_change × |μ|,
min_abs_change)`` on ``direction``'s side. The verdict's band is the reading that would make this
check anomalous, given the checks before it (±inf when one reading cannot: residuals are clipped).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chaosguard.slo.anomaly import residual
from chaosguard.slo.anomaly.base import AnomalyVerdict, Baseline, BaselineError
from chaosguard.slo.anomaly.calibrate import Calibration, Setting, calibrate
from chaosguard.slo.anomaly.detectors import baseline_array, confirmed_runs, fit_model
from chaosguard.slo.anomaly.model import NU_GRID
from chaosguard.slo.anomaly.rules import MIN_BASELINE, checks_per_run_for
from chaosguard.slo.anomaly.thresholds import effective_n

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from chaosguard.slo.anomaly.spec import AnomalySpec

__all__ = ["ShiftDetector", "HEAVIER", "LIGHTEST_NU", "heavier_nu"]

#: Grid steps (``NU_GRID``) the simulated tail is taken heavier than the baseline's estimate.
HEAVIER = 2
#: The lightest tail ``shift`` is simulated with, whatever the baseline looks like: 60 readings
#: rarely show a heavy tail's extremes (of 1,000 t₃ baselines, 69 looked like ν ≥ 15, and 5 of
#: those runs false-alarmed with ν two steps heavier; docs/anomaly.md, *The shift detector*).
LIGHTEST_NU = 5.0


def heavier_nu(nu: float) -> float:
    """``nu`` taken ``HEAVIER`` steps heavier on ``NU_GRID`` (the heaviest: 3), at most
    :data:`LIGHTEST_NU`."""
    grid = list(NU_GRID)
    return min(LIGHTEST_NU, grid[max(0, grid.index(nu) - HEAVIER)])


class ShiftDetector:
    """Prewhitened level-shift detector (see the module docstring)."""

    name = "shift"

    def __init__(self, spec: AnomalySpec, *, interval_s: float, thin: int, alpha: float) -> None:
        self.min_baseline = MIN_BASELINE[self.name]
        self.spec = spec
        self.alpha = alpha
        self.source_thin = max(1, thin)
        self.checks_per_run = checks_per_run_for(spec.checks_per_run, interval_s)
        self.window = spec.window
        self.baseline: Baseline | None = None
        self._mu = self._phi = self._sigma = self._h = self._floor = 0.0
        self._prev = 0.0  # the previous reading minus μ
        self._u: deque[float] = deque(maxlen=self.window)  # clipped residuals, newest first
        self._raw: deque[float] = deque(maxlen=self.window)  # the same, unclipped
        self._streak = 0

    def fit(self, values: Any) -> Baseline:
        """Learn μ, φ and σ, calibrate the threshold; reset the streaming state."""
        x = baseline_array(values, max(self.min_baseline, self.spec.baseline_readings))
        setting, thin = self.setting_for(x)
        cal = calibrate(setting, (self.name,), 1, self.alpha)
        return self.fit_calibrated(x, setting, cal, thin)

    def setting_for(self, x: NDArray[np.float64]) -> tuple[Setting, int]:
        """The null model the threshold is simulated from: ρ centred on the baseline's point
        estimate (the detector re-estimates φ on every simulated run), ν ``HEAVIER`` grid steps
        heavier than the estimate and at most :data:`LIGHTEST_NU` (60 readings rarely show a
        heavy tail's extremes)."""
        setting, thin = fit_model(self.spec, x, self.source_thin, self.checks_per_run, upper=False)
        return replace(setting, nu=heavier_nu(setting.nu)), thin

    def fit_calibrated(
        self, x: NDArray[np.float64], setting: Setting, cal: Calibration, thin: int
    ) -> Baseline:
        """Set the threshold from a calibration of ``setting`` (the ensemble calibrates jointly)."""
        mu_a, phi_a, sigma_a = residual.fit_rows(x[None, :])
        self._mu, self._phi, self._sigma = float(mu_a[0]), float(phi_a[0]), float(sigma_a[0])
        self._h = cal.c[self.name]
        self._floor = max(self.spec.min_change * abs(self._mu), self.spec.min_abs_change)
        self._prev, self._streak = 0.0, 0
        self._u, self._raw = deque(maxlen=self.window), deque(maxlen=self.window)
        low, high = self._band()
        self.baseline = Baseline(
            detector=self.name,
            n=len(x),
            mean=self._mu,
            sd=float(x.std(ddof=1)),
            low=low,
            high=high,
            n_eff=effective_n(len(x), self._phi),
            thin=thin,
            autocorrelation=self._phi,
            per_check_alpha=cal.per_check[self.name],
            k=self._h,
            extra={
                "centre": self._mu,
                "scale": self._sigma,
                "residual_sd": self._sigma,
                "window": self.window,
                "clip": residual.CLIP,
                "simulated_rho": setting.rho if setting.truth_rho is None else setting.truth_rho,
                "nu": setting.nu if math.isfinite(setting.nu) else None,
                "calibration": "simulation",
                "sims": cal.sims,
                "run_level": cal.run_level[self.name],
                "simulated_fpr": cal.achieved,
            },
        )
        return self.baseline

    def _residual(self, value: float) -> tuple[float, float]:
        """``u`` of ``value`` and its unclipped value; remembers ``value`` as the previous."""
        e = (value - self._mu) - self._phi * self._prev
        self._prev = value - self._mu
        if self._sigma > 0:
            raw = e / self._sigma
            return min(max(raw, -residual.CLIP), residual.CLIP), raw
        big = math.copysign(residual.BIG, e) if e else 0.0
        return big, big

    def _best(self, sign: float) -> tuple[float, float]:
        """Largest Z and the size of its shift (σ units), newest check first."""
        g = 1.0 - self._phi
        best, delta, tail, raw_tail = -math.inf, 0.0, 0.0, 0.0
        for j, (uj, rj) in enumerate(zip(self._u, self._raw, strict=True)):
            den = 1.0 + j * g * g
            z = (sign * uj + g * tail) / math.sqrt(den)
            if z > best:
                best, delta = z, (sign * rj + g * raw_tail) / den
            tail += sign * uj
            raw_tail += sign * rj
        return best, delta

    def _side(self, sign: float) -> tuple[bool, float]:
        z, delta = self._best(sign)
        if self._sigma > 0:
            moved = delta * self._sigma
        else:  # no spread in the baseline: the reading's own move
            moved = sign * self._prev if self._u[0] else 0.0
        return z > self._h and moved >= self._floor, z

    def _band(self) -> tuple[float, float]:
        """Readings below/above which the next check would be anomalous (before the floor)."""
        g = 1.0 - self._phi
        pred = self._mu + self._phi * self._prev
        out = []
        for sign in (-1.0, 1.0):
            hist = [sign * v for v in self._u][: self.window - 1]
            need, tail = self._h, 0.0
            for j in range(1, len(hist) + 1):
                rest = hist[j - 1] + g * tail  # the check j back starts the shift
                need = min(need, (self._h * math.sqrt(1.0 + j * g * g) - rest) / g)
                tail += hist[j - 1]
            reach = need < residual.CLIP or self._sigma == 0  # z must exceed h: u ≤ CLIP
            edge = pred + sign * max(need, 0.0) * self._sigma if reach else sign * math.inf
            out.append(sign * max(sign * edge, sign * self._mu + self._floor))
        return out[0], out[1]

    def check(self, value: float) -> AnomalyVerdict:
        """Judge the next reading (a non-finite one fails closed: anomalous and confirmed)."""
        if self.baseline is None:
            raise BaselineError("no baseline learned yet: call fit() before check()")
        low, high = self._band()
        if not math.isfinite(value):
            self._streak = max(self._streak, self.spec.confirm)
            return AnomalyVerdict(
                True, True, self._mu, low, high, math.inf, value, "not a finite number"
            )
        u, raw = self._residual(value)
        self._u.appendleft(u)
        self._raw.appendleft(raw)
        up, z_up = self._side(1.0)
        down, z_down = self._side(-1.0)
        direction = self.spec.direction
        anomalous = (up and direction != "down") or (down and direction != "up")
        score = z_up if z_up >= z_down or direction == "up" else -z_down
        self._streak = self._streak + 1 if anomalous else 0
        confirmed = self._streak >= self.spec.confirm
        reason = "a level shift in the prediction residuals" if anomalous else ""
        return AnomalyVerdict(anomalous, confirmed, self._mu, low, high, score, value, reason)

    def scan(self, values: Any) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
        """Statistic, anomalous and confirmed for a whole series at once (from a fresh fit; a
        non-finite reading is anomalous and enters the residuals as μ)."""
        import numpy as np

        if self.baseline is None:
            raise BaselineError("no baseline learned yet: call fit() before scan()")
        x = np.asarray(values, dtype=float)
        finite = np.isfinite(x)
        xs = np.where(finite, x, self._mu)[None, :]
        one = np.ones(1)
        fitted = (self._mu * one, self._phi * one, self._sigma * one)
        u = residual.residuals(xs, *fitted)
        raw = residual.residuals(xs, *fitted, clip=math.inf)
        g = (1.0 - self._phi) * one
        anomalous = np.zeros(len(x), dtype=bool)
        stat = np.full(len(x), -np.inf)
        for sign, side in ((1.0, "up"), (-1.0, "down")):
            z, delta = residual.shift_statistic(sign * u, g, self.window, sign * raw)
            if self._sigma > 0:
                moved = delta[0] * self._sigma
            else:
                moved = sign * np.where(u[0] != 0, xs[0] - self._mu, 0.0)
            hit = (z[0] > self._h) & (moved >= self._floor)
            if self.spec.direction in (side, "both"):
                anomalous |= hit
                stat = np.maximum(stat, z[0])
        anomalous |= ~finite
        return stat, anomalous, confirmed_runs(anomalous, self.spec.confirm)
