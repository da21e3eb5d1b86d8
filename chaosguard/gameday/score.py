"""The resilience score of a game day: one number from 0 to 100.

::

    score = 100 × Σ w(met) / ( Σ w(met) + Σ w(deviated) + Σ w(failed) + 2 × Σ w(aborted) )

``w`` is each experiment's ``weight`` (default 1). Every experiment that was put to the test counts:

* **met** earns its weight;
* **deviated** earns nothing (the system is not resilient to that fault);
* **failed** (``action-failed``, ``error``) earns nothing: it proved nothing, and the score must
  never rise because experiments break (the exit code 4 already flags the suite);
* **aborted** earns nothing and costs its weight **twice**: the guard saw real SLO damage, which is
  worse than a hypothesis that failed within the SLOs.

**Refused**, **steady-state-unmet** (nothing injected) and **skipped** (never started) experiments
are left out of both sums: they say nothing about resilience. When nothing was put to the test the
score is ``None`` (shown as "n/a").

Properties (property-tested): 0 ≤ score ≤ 100; all met → 100; none met → 0; improving one experiment
(aborted → deviated/failed → met) never lowers it; adding a refused or skipped experiment changes
nothing; scaling every weight by the same factor changes nothing; adding a met experiment never
lowers it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ABORT_COST", "EXCLUDED", "FORMULA", "resilience_score"]

ABORT_COST = 2.0
EXCLUDED = frozenset({"refused", "steady-state-unmet", "skipped"})
FORMULA = (
    "100 × Σw(met) / (Σw(met) + Σw(deviated) + Σw(action-failed, error) + 2 × Σw(aborted)); "
    "refused, steady-state-unmet and skipped experiments are left out"
)


def resilience_score(results: Iterable[tuple[str, float]]) -> float | None:
    """The score of ``(outcome, weight)`` pairs (weights > 0); ``None`` when none was put to the
    test."""
    earned = cost = 0.0
    for outcome, weight in results:
        if outcome in EXCLUDED:
            continue
        if outcome == "met":
            earned += weight
        cost += weight * (ABORT_COST if outcome == "aborted" else 1.0)
    if cost <= 0:
        return None
    return max(0.0, min(100.0, 100.0 * earned / cost))
