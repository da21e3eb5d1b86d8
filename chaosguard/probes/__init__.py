"""Probes: the thin, typed, documented functions experiment files name to observe; no side effects.

:mod:`~chaosguard.probes.http` (status, latency, error ratio, now or over a sampler window),
:mod:`~chaosguard.probes.prometheus` (a PromQL value, error budget left, burn rate) and
:mod:`~chaosguard.probes.kubernetes` (ready replicas, pods ready, time to recovery) list their
probes in ``__all__``, take simple annotated arguments with ``configuration`` and ``secrets`` last,
and return plain numbers, booleans or dicts that Chaos Toolkit tolerances check directly. Bad
arguments raise :class:`~chaosguard.errors.InvalidArgument` naming the field; the work is done by
:mod:`chaosguard.slo` and :mod:`chaosguard.kube`.
"""
