"""SLO sources the guard watches: Prometheus, HTTP (a sampler window) and any Python callable.

A source only *reads* a number (:class:`Observation`) or raises :class:`SourceUnreadable`; judging it
(objective, ``for`` duration, fail-closed on unreadable) is done by :mod:`chaosguard.slo.check`.
Guard definitions (what users write) are the pydantic models in :mod:`chaosguard.slo.spec`.
"""

from chaosguard.slo.base import Observation, SloSource, SourceUnreadable

__all__ = ["Observation", "SloSource", "SourceUnreadable"]
