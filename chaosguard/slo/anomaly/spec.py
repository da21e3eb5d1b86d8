"""What users write to make a guard an *anomaly* guard: the ``anomaly:`` block of a guard.

Example (YAML)::

    guards:
      - name: p95-latency
        source: http
        url: http://127.0.0.1:8080/
        metric: p95_ms
        max: 500                    # the SLO still holds (optional beside `anomaly`)
        anomaly:
          detector: ensemble        # zscore | moving-average | iqr | ewma | holt | shift | ensemble
          direction: up             # up: only "higher than normal" is anomalous
          alpha: 0.01               # per-RUN false-alarm probability
          baseline_readings: 60     # learned before the first action; too few refuses the run
          baseline_effective: auto  # then learn on until worth 30 independent readings (if it can)
          confirm: 2                # consecutive anomalous checks to breach

Every field is explained in ``docs/anomaly.md`` (the maths in plain words). Importing this module
imports neither numpy nor the detectors: the spec is loaded on every guarded run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "DetectorName",
    "MemberName",
    "Direction",
    "AnomalySpec",
    "MIN_BASELINE",
    "DEFAULT_MEMBERS",
    "DEFAULT_RUN_S",
    "DEFAULT_BASELINE",
    "DEFAULT_EFFECTIVE",
    "min_baseline_for",
    "checks_per_run_for",
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


class AnomalySpec(BaseModel):
    """The ``anomaly:`` block of a guard: which detector, which side, which false-alarm rate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    detector: DetectorName = "ensemble"
    #: ``up``: only higher than normal is anomalous (latency, errors); ``down``: only lower
    #: (throughput, availability); ``both``: either (alpha is split between the two sides).
    direction: Direction = "up"
    #: The per-RUN false-alarm probability: P(an anomaly breach in a run where nothing changed).
    alpha: float = Field(default=0.01, gt=0, le=0.2)
    #: Readings learned before the first action (at least the detector's minimum). The default,
    #: ``DEFAULT_BASELINE`` = 60, is one minute of steady state at a 1 s interval: autocorrelated
    #: readings (overlapping windows) are worth far fewer independent ones, and 30 left too little.
    baseline_readings: int = Field(default=DEFAULT_BASELINE, ge=1, le=100_000)
    #: After ``baseline_readings``, keep learning until the baseline is worth this many
    #: *independent* readings (its effective size n·(1-ρ)/(1+ρ), ρ its lag-1 autocorrelation, at
    #: least what the source's overlapping windows imply): autocorrelated sources' 60 readings may
    #: be worth fewer than 10 (a band ±5 sd wide). A number is required: still short of it at
    #: ``baseline_max_readings`` refuses the run. ``auto`` (the default) is ``DEFAULT_EFFECTIVE``
    #: when it can be reached: it stops, and warns, when the readings so far say it would take
    #: more than ``baseline_max_readings``. None: stop at ``baseline_readings``.
    baseline_effective: int | Literal["auto"] | None = "auto"
    #: The most readings ``baseline_effective`` may wait for (None: 10 × ``baseline_readings``).
    baseline_max_readings: int | None = Field(default=None, ge=1, le=1_000_000)
    #: Prometheus only: learn from a range query over the last N seconds instead.
    baseline_range_s: float | None = Field(default=None, gt=0, le=7 * 86400)
    #: Consecutive anomalous checks before the guard breaches.
    confirm: int = Field(default=2, ge=1, le=50)
    #: Checks ``alpha`` is spread over; None: ``DEFAULT_RUN_S`` seconds at the guard's interval.
    checks_per_run: int | None = Field(default=None, ge=1, le=10_000_000)
    #: Readings per independent reading (overlapping windows); None: from the source and the
    #: baseline's lag-1 autocorrelation, whichever is larger. Given: used as is.
    thin: int | None = Field(default=None, ge=1, le=10_000)
    #: Relative floor: within ``min_change × |expected|`` of the expected is never anomalous.
    min_change: float = Field(default=0.1, ge=0, le=100)
    #: Absolute floor in the metric's unit (0: none; a constant baseline then flags any change).
    min_abs_change: float = Field(default=0.0, ge=0)
    #: Moving-average length (checks); for ``shift``, how many checks back a shift may start.
    window: int = Field(default=5, ge=2, le=1000)
    #: EWMA weight of the newest reading; also Holt's level smoothing.
    smoothing: float = Field(default=0.3, gt=0, le=1)
    #: Holt's trend smoothing.
    trend_smoothing: float = Field(default=0.1, gt=0, le=1)
    #: Holt's forecast horizon (checks ahead the level is projected along the trend).
    horizon: int = Field(default=2, ge=0, le=100)
    #: Ensemble members and how many must be confirmed at the same check (k of n).
    members: tuple[MemberName, ...] = DEFAULT_MEMBERS
    k: int = Field(default=1, ge=1)

    @field_validator("baseline_effective", mode="before")
    @classmethod
    def _effective(cls, value: object) -> object:
        """``auto``, null or a whole number from 2 to 10,000, said in one message."""
        ok = value is None or value == "auto"
        ok = ok or (isinstance(value, int) and not isinstance(value, bool) and 2 <= value <= 10_000)
        if not ok:
            raise ValueError("must be 'auto', null or a whole number from 2 to 10000")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AnomalySpec:
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
