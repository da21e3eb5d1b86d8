"""What an ``anomaly:`` block means beyond its fields: the detectors' minimums, its cross-field
checks and the properties the guard reads. Plain code without pydantic: the pydantic
:class:`~chaosguard.slo.anomaly.spec.AnomalySpec` inherits it, and so do the run-time objects of
the compiled spec (:mod:`chaosguard.compiled`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

__all__ = [
    "DEFAULT_BASELINE",
    "DEFAULT_EFFECTIVE",
    "DEFAULT_MEMBERS",
    "DEFAULT_RUN_S",
    "MIN_BASELINE",
    "AnomalyRules",
    "DetectorName",
    "Direction",
    "MemberName",
    "checks_per_run_for",
    "effective_value",
    "min_baseline_for",
]

DetectorName = Literal["zscore", "moving-average", "iqr", "ewma", "holt", "shift", "ensemble"]
MemberName = Literal["zscore", "moving-average", "iqr", "ewma", "holt", "shift"]
Direction = Literal["up", "down", "both"]

#: The fewest baseline readings each single detector accepts (the ensemble: its members' most).
MIN_BASELINE: dict[str, int] = {
    "zscore": 10,
    "moving-average": 10,
    "ewma": 10,
    "holt": 10,
    "iqr": 20,
    "shift": 20,
}

#: The ensemble's members when none are given: a fast judge of raw readings (large sudden
#: changes, first check) and two smoothers (a moving average for steps within a few checks, EWMA
#: for small persistent shifts), any one breaching (k = 1), calibrated jointly. The moving average
#: joined on the benchmark (docs/anomaly.md): steps of ×1.5 within 5 intervals, ×1.2 at any delay.
#: Kept over 1 of (moving-average, shift), which misses more small steps and detects later;
#: ``shift`` is there to be chosen for autocorrelated sources.
DEFAULT_MEMBERS: tuple[MemberName, ...] = ("zscore", "moving-average", "ewma")

#: ``baseline_readings`` when none is given: one minute of steady state at a 1 s interval.
DEFAULT_BASELINE = 60

#: What ``baseline_effective: auto`` (the default) learns on for: a baseline worth this many
#: independent readings (fewer makes a wide band; docs/anomaly.md, *Baseline length*).
DEFAULT_EFFECTIVE = 30

#: ``checks_per_run: null`` means a run of this many seconds at the guard's interval.
DEFAULT_RUN_S = 300.0


def min_baseline_for(detector: str, members: tuple[str, ...] = DEFAULT_MEMBERS) -> int:
    """The fewest baseline readings ``detector`` accepts (the ensemble: the most of its members)."""
    if detector == "ensemble":
        return max(MIN_BASELINE[m] for m in members)
    return MIN_BASELINE[detector]


def checks_per_run_for(checks_per_run: int | None, interval_s: float) -> int:
    """Checks the per-run ``alpha`` is spread over: the given number, else 300 s of intervals."""
    if checks_per_run is not None:
        return checks_per_run
    return max(10, int(-(-DEFAULT_RUN_S // max(interval_s, 1e-3))))


def effective_value(value: object) -> object:
    """``baseline_effective``: ``auto``, null or a whole number from 2 to 10,000, said in one
    message."""
    ok = value is None or value == "auto"
    ok = ok or (isinstance(value, int) and not isinstance(value, bool) and 2 <= value <= 10_000)
    if not ok:
        raise ValueError("must be 'auto', null or a whole number from 2 to 10000")
    return value


class AnomalyRules:
    """An anomaly block's cross-field checks and derived settings."""

    if TYPE_CHECKING:
        detector: str
        baseline_readings: int
        baseline_effective: int | Literal["auto"] | None
        baseline_max_readings: int | None
        members: tuple[str, ...]
        k: int

    def _consistent(self) -> Any:
        if len(set(self.members)) != len(self.members) or not self.members:
            raise ValueError("'members' must name distinct detectors, at least one")
        if self.k > len(self.members):
            raise ValueError(f"'k' must be at most the number of members ({len(self.members)})")
        need = min_baseline_for(self.detector, self.members)
        if self.baseline_readings < need:
            raise ValueError(
                f"'baseline_readings' must be at least {need} for detector '{self.detector}'"
            )
        most = self.baseline_max_readings
        if most is not None and self.baseline_effective is None:
            raise ValueError("'baseline_max_readings' needs 'baseline_effective'")
        if most is not None and most < self.baseline_readings:
            raise ValueError(
                "'baseline_max_readings' must be at least 'baseline_readings' "
                f"({self.baseline_readings})"
            )
        return self

    @property
    def effective_target(self) -> int | None:
        """The independent readings the baseline learns on for: ``baseline_effective``, 30
        (``DEFAULT_EFFECTIVE``) for ``auto``, None when it stops at ``baseline_readings``."""
        if self.baseline_effective == "auto":
            return DEFAULT_EFFECTIVE
        return self.baseline_effective

    @property
    def effective_required(self) -> bool:
        """Whether a baseline short of :attr:`effective_target` refuses the run (a number was
        given) rather than being fitted with a warning (``auto``)."""
        return isinstance(self.baseline_effective, int)

    @property
    def max_baseline_readings(self) -> int:
        """The most readings the baseline phase may learn: ``baseline_readings`` unless
        ``baseline_effective`` asks for more (then ``baseline_max_readings``, default 10 ×)."""
        if self.baseline_effective is None:
            return self.baseline_readings
        return self.baseline_max_readings or 10 * self.baseline_readings
