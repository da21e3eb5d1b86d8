"""SLO sources: read the numbers the guard watches, and judge them against a guard's objective.

A source (:class:`SloSource`: Prometheus in :mod:`~chaosguard.slo.prometheus`, an HTTP sampler
window in :mod:`~chaosguard.slo.http`, any Python callable in :mod:`~chaosguard.slo.python_source`)
is started, read and stopped; a read gives an :class:`Observation` or raises
:class:`SourceUnreadable`. :mod:`~chaosguard.slo.check` judges readings (objective, ``for``
duration, fail closed on unreadable), :mod:`~chaosguard.slo.spec` holds the guard definitions users
write and :mod:`~chaosguard.slo.build` turns one into its source. This layer knows no guard session,
fault or policy.
"""

from chaosguard.slo.base import Observation, SloSource, SourceUnreadable

__all__ = ["Observation", "SloSource", "SourceUnreadable"]
