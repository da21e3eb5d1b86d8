"""Models compiled from their pydantic definitions, to validate and run without importing pydantic.

The pydantic models stay the one definition of what a policy, a guard or a ledger record may say
(and of every error message and JSON schema). :mod:`chaosguard.compiled.build` turns their core
schemas into plain data once, at development time; :mod:`chaosguard.compiled.engine` validates a
document against that data on the run path and answers only when it is sure: anything it does not
fully accept raises :class:`~chaosguard.compiled.engine.NotFast`, and the caller asks pydantic,
which then gives the same value or the error a person can act on.
"""
