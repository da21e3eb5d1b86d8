"""What a baseline is worth: how many *independent* readings its readings amount to.

Autocorrelated readings (a latency that drifts, an HTTP sampler's overlapping windows, a
Prometheus ``rate()`` over a window longer than the step) repeat each other: ``n`` readings with
lag-1 autocorrelation ρ tell about as much about the mean as ``n_eff = n·(1-ρ)/(1+ρ)`` independent
ones (AR(1)). 60 readings at ρ = 0.6 are worth 15, and an upper bound of ρ from so few makes that 7
to 9: the detectors' bands then have to be about ±5 sd wide to keep the false-alarm rate. The
baseline phase asks :func:`next_step` after every reading whether to learn on, fit, or refuse
(``baseline_effective``; ``docs/anomaly.md``, *Baseline length*); the benchmark asks it too.

ρ is the one the detectors fit with (:func:`baseline_rho`): the block's ``thin`` when given, else
the baseline's bias-corrected lag-1 autocorrelation plus one standard error, at least what the
source's overlapping windows imply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from chaosguard.slo.anomaly.thresholds import effective_n, estimate_rho, rho_for_thin

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from chaosguard.slo.anomaly.spec import AnomalySpec

__all__ = ["Step", "Worth", "baseline_rho", "baseline_worth", "next_step", "readings_for"]

#: What the baseline phase does next: learn another reading, fit the detector, or refuse the run.
Step = Literal["learn", "fit", "refuse"]


@dataclass(frozen=True)
class Worth:
    """``n`` readings, their lag-1 autocorrelation ``rho`` (as fitted) and effective size."""

    n: int
    rho: float
    n_eff: float

    def describe(self) -> str:
        """``170 readings worth about 31 independent ones (lag-1 autocorrelation 0.70)``."""
        return (
            f"{self.n} readings worth about {self.n_eff:.0f} independent ones "
            f"(lag-1 autocorrelation {self.rho:.2f})"
        )


def baseline_rho(
    spec: AnomalySpec, x: NDArray[np.float64], source_thin: int, *, upper: bool = True
) -> float:
    """ρ of baseline ``x`` as the detectors fit it: ``spec.thin``'s when given; else the estimate
    (``upper``: one standard error up), at least the source's (``source_thin`` readings per
    independent one)."""
    if spec.thin is not None:
        return rho_for_thin(spec.thin)
    return max(rho_for_thin(source_thin), estimate_rho(x, upper=upper))


def baseline_worth(
    values: Sequence[float], spec: AnomalySpec, source_thin: int = 1, *, upper: bool = True
) -> Worth:
    """The effective size of ``values`` as a baseline of ``spec`` (non-finite values ignored);
    ``upper=False``: with ρ's point estimate instead of its upper bound (an expected worth)."""
    import numpy as np

    x = np.asarray(list(values), dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 3:
        return Worth(len(x), 0.0, float(len(x)))
    rho = baseline_rho(spec, x, source_thin, upper=upper)
    return Worth(len(x), rho, effective_n(len(x), rho))


def readings_for(worth: Worth, target: float) -> int:
    """About how many readings like these would be worth ``target`` independent ones, at the same
    autocorrelation."""
    return int(-(-worth.n * target // max(worth.n_eff, 1e-9)))


def next_step(
    values: Sequence[float], spec: AnomalySpec, source_thin: int = 1
) -> tuple[Step, Worth | None]:
    """Whether a baseline that has learned ``values`` so far learns on, is fitted, or refuses the
    run, with what the values are worth (None until ``baseline_readings`` or without a target).

    ``baseline_readings`` first. Then, with a target (``spec.effective_target``): fit once it
    is reached. A required one (a number) learns on up to ``max_baseline_readings`` and refuses
    there; ``auto`` learns on while the target looks reachable within that most (the readings it
    would take at ρ's point estimate: the upper bound of a few readings' ρ is loose, and 60
    readings at ρ = 0.6 can look like 0.95), and is fitted short of it otherwise (the guard
    warns)."""
    n = len(values)
    target = spec.effective_target
    if n < spec.baseline_readings:
        return "learn", None
    if target is None:
        return "fit", None
    worth = baseline_worth(values, spec, source_thin)
    most = spec.max_baseline_readings
    if worth.n_eff >= target:
        return "fit", worth
    if spec.effective_required:
        return ("learn" if n < most else "refuse"), worth
    likely = baseline_worth(values, spec, source_thin, upper=False)
    if n < most and readings_for(likely, target) <= most:
        return "learn", worth
    return "fit", worth
