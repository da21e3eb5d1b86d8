"""Actions: the functions experiments name to change the world. Thin, typed, documented.

Each public module lists its activities in ``__all__``; ``chaos discover chaosguard`` finds them
from the package tree. Activity modules do not use ``from __future__ import annotations``:
chaoslib's discovery reads annotations as objects and would show string annotations as "object" (the
discovery tests check). Arguments are validated into frozen specs before anything changes; faults go
through :mod:`chaosguard.faults`, which records them in the ledger first.
"""
