"""Compatibility: ``module: chaosguard.safety.guard`` in experiment files keeps working.

The control lives in :mod:`chaosguard.guard.control`; these are the same hook functions (one
session per process, so wiring both names still guards the run once).
"""

from chaosguard.guard.control import (
    after_activity_control,
    after_experiment_control,
    before_activity_control,
    before_experiment_control,
    cleanup_control,
    configure_control,
)

__all__ = [
    "after_activity_control",
    "after_experiment_control",
    "before_activity_control",
    "before_experiment_control",
    "cleanup_control",
    "configure_control",
]
