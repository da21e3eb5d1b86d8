"""SLO arithmetic on numbers: default objective and period, burn rate, error budget left.

Pure functions, no I/O: :mod:`~chaosguard.slo.prometheus.queries` builds the same figures as PromQL
and the probes in :mod:`chaosguard.probes.prometheus` apply these to a ratio read from Prometheus.
Bad inputs raise :class:`~chaosguard.errors.InvalidArgument` naming the argument.
"""

from __future__ import annotations

from chaosguard.slo.prometheus.validate import check_objective, check_ratio

__all__ = ["DEFAULT_OBJECTIVE", "DEFAULT_BUDGET_PERIOD", "burn_rate", "error_budget_remaining"]

DEFAULT_OBJECTIVE = 0.999
"""Platform default availability objective (99.9 %)."""
DEFAULT_BUDGET_PERIOD = "30d"
"""Platform default error-budget period."""


def burn_rate(error_ratio: float, objective: float = DEFAULT_OBJECTIVE) -> float:
    """How fast the error budget burns: ``error_ratio / (1 - objective)``.

    1.0 spends exactly the budget over the SLO period; 14.4 over 1 h spends 2 % of a 30-day budget.
    """
    ratio = check_ratio(error_ratio, "error_ratio")
    return ratio / (1.0 - check_objective(objective))


def error_budget_remaining(
    error_ratio_over_period: float, objective: float = DEFAULT_OBJECTIVE
) -> float:
    """Fraction of the period's error budget left: ``1 - ratio / (1 - objective)``.

    Negative when the budget is overspent.
    """
    ratio = check_ratio(error_ratio_over_period, "error_ratio_over_period")
    return 1.0 - ratio / (1.0 - check_objective(objective))
