"""Probes: the functions experiments name to observe. No side effects.

Each public module lists its probes in ``__all__`` (see :mod:`chaosguard.actions` for the annotation
rule). Probes return plain numbers or dicts that Chaos Toolkit tolerances check directly.
"""
