"""The detector contract: learn a baseline, then judge readings one at a time.

No numpy here: the guard imports this module on every run that declares an anomaly guard, and the
dataclasses are what the journal and the report receive.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from chaosguard.errors import Refused

__all__ = ["AnomalyVerdict", "Baseline", "BaselineError", "Detector"]


class BaselineError(Refused):
    """No trustworthy baseline: too few readings (says how many it needed and had), or NaN/inf.

    The message is guard-agnostic; the guard prefixes the guard's name. Exit code 3: the run is
    refused before any fault.
    """


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Baseline:
    """What a detector learned: ``n`` readings, their mean and sd, the normal band of one check.

    ``low``/``high`` are the bounds a reading (the detector's statistic) may reach without being
    anomalous, floors included; ``per_check_alpha`` is one check's probability of exceeding the
    threshold under the fitted null model (simulated), ``thin`` the readings per independent
    reading used, ``n_eff`` the effective baseline size after autocorrelation, ``k`` the threshold
    multiplier of the statistic's sd. ``extra`` says how the threshold was calibrated (``nu``,
    ``fence``, ``sims``, ``run_level``, ``simulated_fpr``).
    """

    detector: str
    n: int
    mean: float
    sd: float
    low: float
    high: float
    n_eff: float = 0.0
    thin: int = 1
    autocorrelation: float = 0.0
    per_check_alpha: float = 0.0
    k: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the journal (non-finite numbers become None)."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = _finite(value)
        return out


@dataclass(frozen=True)
class AnomalyVerdict:
    """The verdict on one check.

    ``anomalous``: this check is outside the band on the watched side; ``confirmed``: the last
    ``confirm`` checks were all anomalous (the guard breaches). ``expected`` is the baseline's
    centre, ``band_low``/``band_high`` the normal band of the detector's statistic (both sides are
    reported; only ``direction``'s side is enforced), ``score`` the signed deviation of the
    statistic in units of its baseline sd (inf for a non-finite reading), ``value`` the statistic
    judged (the reading itself for ``zscore``/``iqr``, the smoothed value otherwise).
    """

    anomalous: bool
    confirmed: bool
    expected: float
    band_low: float
    band_high: float
    score: float
    value: float = math.nan
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the journal (non-finite numbers become None)."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = _finite(value)
        return out


@runtime_checkable
class Detector(Protocol):
    """Learns a baseline with :meth:`fit`, then judges a stream of readings with :meth:`check`.

    ``check`` keeps the state (smoothing, the run of consecutive anomalous checks). A non-finite
    value passed to ``check`` fails closed: the verdict is anomalous *and* confirmed with the
    reason "not a finite number" (never read as 0). ``check`` before ``fit`` raises
    :class:`BaselineError`.
    """

    name: str
    min_baseline: int
    #: readings per independent reading that the source's overlapping windows imply (1: none)
    source_thin: int

    def fit(self, values: Any) -> Baseline:
        """Learn from ``values`` (a sequence of floats); raise :class:`BaselineError` when short."""
        ...

    def check(self, value: float) -> AnomalyVerdict:
        """Judge the next reading."""
        ...
