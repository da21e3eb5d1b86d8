"""Judge readings against a guard's objective, with an alerting rule's ``for`` semantics, and
against its anomaly detector once the baseline is learned.

A reading is *violating* when the value breaks the objective, when the source could not be read
and the policy fails closed (the default), or when the guard's anomaly detector finds it outside
the normal band. The guard is *breached* once threshold violations have lasted ``for_s`` without
interruption, timed like an alerting rule: from the first violating *evaluation*, not from the
sample's own time (which may be up to a scrape interval old) — ``for_s = 0``: the first violation
breaches — or when the detector *confirms* an anomaly (``confirm`` anomalous checks in a row).

Anomaly guards learn first (:meth:`SloCheck.start_learning`, then :meth:`SloCheck.fit_baseline`):
readings taken while learning are never judged by the detector, and only *settled* readings (an
HTTP window that is full, see :attr:`~chaosguard.slo.base.Observation.settled`) are learned.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from chaosguard.slo.base import SloSource, SourceUnreadable

if TYPE_CHECKING:  # the detectors (numpy) are imported only when a guard declares `anomaly`
    from chaosguard.slo.anomaly import AnomalyVerdict, Baseline, Detector
    from chaosguard.slo.anomaly.worth import Worth
    from chaosguard.slo.spec import GuardBase

__all__ = ["Reading", "SloCheck"]


@dataclass(frozen=True)
class Reading:
    """One evaluation of one guard: what was read, when, and the verdict.

    The anomaly fields are None for a guard without ``anomaly`` and before its baseline is learned:
    ``anomalous`` (outside the normal band on the watched side), ``expected`` (the baseline's
    centre), ``band_low``/``band_high`` (the normal band of the detector's statistic).
    """

    guard: str
    read_at: float  # when the read finished (epoch s)
    value: float | None  # None when unreadable
    source_at: float | None  # when the value was true at the source
    violating: bool
    breached: bool
    error: str | None = None
    anomalous: bool | None = None
    expected: float | None = None
    band_low: float | None = None
    band_high: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the journal (a non-finite band edge becomes None: JSON has no inf)."""
        out = asdict(self)
        for key in ("expected", "band_low", "band_high"):
            if out[key] is not None and not math.isfinite(out[key]):
                out[key] = None
        return out


class SloCheck:
    """A guard spec bound to its source, remembering when the current violation started.

    ``detector`` (a :class:`~chaosguard.slo.anomaly.Detector`, for a guard with ``anomaly``)
    judges readings once :meth:`fit_baseline` has succeeded.
    """

    def __init__(
        self,
        spec: GuardBase,
        source: SloSource,
        fail_closed: bool = True,
        detector: Detector | None = None,
    ) -> None:
        self.spec = spec
        self.source = source
        self.fail_closed = fail_closed
        self.detector = detector
        self.baseline: Baseline | None = None
        #: The verdict on the latest reading judged by the detector (None before the baseline).
        self.last_verdict: AnomalyVerdict | None = None
        self._violating_since: float | None = None
        self._learned: list[float] | None = None
        self._learn_errors: list[str] = []

    @property
    def name(self) -> str:
        """The guard's name."""
        return self.spec.name

    # -- baseline -------------------------------------------------------------------------------
    @property
    def learning(self) -> bool:
        """True between :meth:`start_learning` and :meth:`fit_baseline`."""
        return self._learned is not None

    def start_learning(self) -> None:
        """From now on, keep every settled finite value read (and every unreadable one's error)."""
        self._learned = []
        self._learn_errors = []

    @property
    def learned(self) -> list[float]:
        """The values kept since :meth:`start_learning`."""
        return list(self._learned or [])

    @property
    def learn_errors(self) -> list[str]:
        """Why readings taken while learning could not be learned (unreadable, not finite)."""
        return list(self._learn_errors)

    def fit_baseline(self, values: Sequence[float] | None = None) -> Baseline:
        """Fit the detector on ``values`` (default: the values learned); stop learning.

        Raises :class:`~chaosguard.slo.anomaly.BaselineError` (a ``Refused``) when the detector
        finds them too few or not finite, and ``ValueError`` for a guard without a detector.
        """
        if self.detector is None:
            raise ValueError(f"guard '{self.name}' has no anomaly detector")
        data = list(self._learned or []) if values is None else list(values)
        self._learned = None
        self.baseline = self.detector.fit(data)
        return self.baseline

    def baseline_worth(self, values: Sequence[float] | None = None) -> Worth | None:
        """What ``values`` (default: the values learned so far) are worth as this guard's
        baseline: their effective size (None for a guard without an anomaly detector)."""
        if self.detector is None or self.spec.anomaly is None:
            return None
        from chaosguard.slo.anomaly.worth import baseline_worth

        data = list(self._learned or []) if values is None else list(values)
        return baseline_worth(data, self.spec.anomaly, self.detector.source_thin)

    # -- reading --------------------------------------------------------------------------------
    def read(self, timeout_s: float) -> Reading:
        """Read the source once and evaluate right away (no stale sleep-then-check)."""
        try:
            obs = self.source.read(timeout_s)
        except SourceUnreadable as exc:
            return self.evaluate(None, None, str(exc))
        except Exception as exc:
            return self.evaluate(None, None, f"{type(exc).__name__}: {exc}")
        return self.evaluate(obs.value, obs.at, None, settled=obs.settled)

    def evaluate(
        self,
        value: float | None,
        source_at: float | None,
        error: str | None,
        now: float | None = None,
        settled: bool = True,
    ) -> Reading:
        """Turn one read into a :class:`Reading`, updating the ``for`` timer (and, after the
        baseline, the detector; while learning, the values learned)."""
        now = time.time() if now is None else now
        if value is not None and not math.isfinite(value):
            error = error or f"not a finite number: {value!r}"
            value = None  # never judged as a number (NaN compares false with every bound)
        if self._learned is not None:
            if value is None:
                self._learn_errors.append(error or "unreadable")
            elif settled:
                self._learned.append(value)
        violating = self.fail_closed if value is None else self.spec.breached_by(value)
        if not violating:
            self._violating_since = None
            breached = False
        else:
            if self._violating_since is None:
                self._violating_since = now
            breached = now - self._violating_since >= self.spec.for_s
        verdict = None
        if value is not None and self.detector is not None and self.baseline is not None:
            verdict = self.last_verdict = self.detector.check(value)
            violating = violating or verdict.anomalous
            breached = breached or verdict.confirmed
        if verdict is None:
            return Reading(self.name, now, value, source_at, violating, breached, error)
        return Reading(
            self.name,
            now,
            value,
            source_at,
            violating,
            breached,
            error,
            anomalous=verdict.anomalous,
            expected=verdict.expected,
            band_low=verdict.band_low,
            band_high=verdict.band_high,
        )
