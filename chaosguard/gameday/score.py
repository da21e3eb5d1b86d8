"""The resilience score of a game day: one number from 0 to 100.

::

    score = 100 × Σ w(met) / ( Σ w(met) + Σ w(deviated) + Σ w(failed) + 2 × Σ w(aborted) )

``w`` is each experiment's ``weight`` (default 1). Every experiment that was put to the test counts:

* **met** earns its weight, scaled by its canary score ``c`` (0–100, the journal's
  ``chaosguard.canary.score``): ``w × (½ + c/200)``. A met run whose every guard behaved like its
  baseline under the fault (c = 100) earns its whole weight; one whose guards all moved (c = 0)
  earns half, like Keptn's "warning": the hypothesis and the SLOs held, but the system did not
  behave as before (its latency tripled within the SLO). A canary that reached no verdict
  (nothing compared, too few readings, no data: ``inconclusive``/``nodata``, shown in the reports)
  leaves the weight whole: a run too short to judge does not lower the score, and is never
  counted as a canary success either;
* **deviated** earns nothing (the system is not resilient to that fault);
* **failed** (``action-failed``, ``error``) earns nothing: it proved nothing, and the score must
  never rise because experiments break (the exit code 4 already flags the suite);
* **aborted** earns nothing and costs its weight **twice**: the guard saw real SLO damage, which is
  worse than a hypothesis that failed within the SLOs.

**Refused**, **steady-state-unmet** (nothing injected) and **skipped** (never started) experiments
are left out of both sums: they say nothing about resilience. When nothing was put to the test the
score is ``None`` (shown as "n/a").

The canary never touches the denominator: a deviated or aborted run already earns nothing, and a
met run costs its weight whatever its canary says.

Properties (property-tested): 0 ≤ score ≤ 100; all met with canary 100 (or none) → 100; none met →
0; improving one experiment (aborted → deviated/failed → met, or a higher canary score) never lowers
it; adding a refused or skipped experiment changes nothing; scaling every weight by the same factor
changes nothing; adding a met experiment never lowers it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["ABORT_COST", "EXCLUDED", "FORMULA", "canary_factor", "resilience_score"]

ABORT_COST = 2.0
EXCLUDED = frozenset({"refused", "steady-state-unmet", "skipped"})
FORMULA = (
    "100 × Σw(met)·(½ + canary/200) / (Σw(met) + Σw(deviated) + Σw(action-failed, error) + "
    "2 × Σw(aborted)); canary = the run's canary score 0–100 (none: factor 1); refused, "
    "steady-state-unmet and skipped experiments are left out"
)


def canary_factor(canary: float | None) -> float:
    """What share of its weight a met run earns: ``½ + c/200`` for a canary score ``c`` (clamped
    to 0–100), 1 without one."""
    if canary is None or not isinstance(canary, int | float) or not math.isfinite(canary):
        return 1.0
    return 0.5 + max(0.0, min(100.0, float(canary))) / 200.0


def resilience_score(
    results: Iterable[tuple[str, float] | tuple[str, float, float | None]],
) -> float | None:
    """The score of ``(outcome, weight)`` or ``(outcome, weight, canary score)`` items (weights >
    0); ``None`` when none was put to the test."""
    earned = cost = 0.0
    for item in results:
        outcome, weight = item[0], item[1]
        canary = item[2] if len(item) > 2 else None
        if outcome in EXCLUDED:
            continue
        if outcome == "met":
            earned += weight * canary_factor(canary)
        cost += weight * (ABORT_COST if outcome == "aborted" else 1.0)
    if cost <= 0:
        return None
    return max(0.0, min(100.0, 100.0 * earned / cost))
