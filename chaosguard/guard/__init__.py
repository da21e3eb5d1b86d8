"""The guard (layer 5): the Chaos Toolkit control that makes any experiment a guarded run.

:mod:`~chaosguard.guard.control` holds the hooks Chaos Toolkit calls and forwards them to the process's
:class:`~chaosguard.guard.session.GuardSession` (phases as an enum, with their transitions). The session
runs the preflight (policy, kill switch, window, scope lock, SLOs already breached, error budget), starts
the :mod:`~chaosguard.guard.watcher` (every guard read each interval, fail closed), and on a breach
reverts this run's open faults *before* interrupting the experiment. :mod:`~chaosguard.guard.aftermath`
plays skipped rollbacks, tells the status truthfully and adds the :mod:`~chaosguard.guard.evidence` to
the journal, which the journal publishers then send.

Experiments name the control module ``chaosguard.guard`` (or, as before, ``chaosguard.safety.guard``).
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
