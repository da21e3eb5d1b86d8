"""The guard (layer 5): the Chaos Toolkit control that makes any experiment a guarded run.

:mod:`~chaosguard.guard.control` holds the hooks Chaos Toolkit calls and forwards them to the
process's :class:`~chaosguard.guard.session.GuardSession`, whose
:class:`~chaosguard.guard.session.Phase` (configured → preflight → watching → method → rollbacks →
ended → finished) moves only along the transitions declared there. The session reads the
experiment's guards (:mod:`~chaosguard.guard.document`), runs the preflight (policy, kill switch,
window, scope lock, SLOs already breached, error budget), starts the
:mod:`~chaosguard.guard.watcher` (every guard read each interval, fail closed; the
:mod:`~chaosguard.guard.killswitch` is one more guard), and on a breach reverts this run's open
faults *before* interrupting the experiment. :mod:`~chaosguard.guard.aftermath` plays skipped
rollbacks, tells the status truthfully and adds the :mod:`~chaosguard.guard.evidence` to the
journal, which the journal publishers then send. :mod:`~chaosguard.guard.phases` says which section
of the experiment an activity is in, :mod:`~chaosguard.guard.scope` which target scope a run locks,
:mod:`~chaosguard.guard.live` prints readings as they come, :mod:`~chaosguard.guard.wiring` which
policy a run obeys (the operator's, made only stricter by the experiment; also used by ``chaos guard
check`` and game days), :mod:`~chaosguard.guard.calendar` watches windows and freezes during the
run, :mod:`~chaosguard.guard.breach` records what stopped a run, :mod:`~chaosguard.guard.exit` skips
the interpreter's final garbage collection when a guarded process ends.

Experiments name the control module ``chaosguard.guard`` (or, as before,
``chaosguard.safety.guard``: the same hook functions).
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
