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

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from chaosguard.slo.anomaly.rules import (
    DEFAULT_BASELINE,
    DEFAULT_EFFECTIVE,
    DEFAULT_MEMBERS,
    DEFAULT_RUN_S,
    MIN_BASELINE,
    AnomalyRules,
    DetectorName,
    Direction,
    MemberName,
    checks_per_run_for,
    effective_value,
    min_baseline_for,
)

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


class AnomalySpec(AnomalyRules, BaseModel):
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
    baseline_effective: Annotated[
        int | Literal["auto"] | None, BeforeValidator(effective_value)
    ] = "auto"
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

    _check_consistent = model_validator(mode="after")(AnomalyRules._consistent)
