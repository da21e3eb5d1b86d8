"""This machine as a target (layer 3): which local processes a fault may touch.

The local counterpart of :mod:`chaosguard.kube`: selection only, no judgement and no change.
:mod:`~chaosguard.local.processes` resolves a pid file or a name pattern into processes identified
by pid *and* start time, and never returns pid 1, the runner or its ancestors. The policy
(:mod:`chaosguard.policy.local`) judges what it returns; the process fault
(:mod:`chaosguard.faults.process`) signals exactly that.
"""
