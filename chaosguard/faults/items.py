"""One row of what cleanup did: the record (or labelled object) it reverted, and how that went.

Shared by the ledger cleanup (:mod:`chaosguard.faults.cleanup`) and the Chaos Mesh label sweep
(:mod:`chaosguard.faults.chaosmesh.sweep`), so ``chaos cleanup`` shows both in one table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CleanupItem"]


@dataclass(frozen=True)
class CleanupItem:
    """What cleanup did (or would do) with one record."""

    run_id: str
    record_id: str
    kind: str
    outcome: str  # reverted | vanished | not-revertible | would-revert | failed: <reason> |
    #              refused: <reason> | quarantined: <reason> | would-quarantine: <reason> | ...
    pid: int = 0
    #: the exact targets (pid + start time, socket path, namespace/kind/name/uid), when known
    target: str = ""

    @property
    def failed(self) -> bool:
        """True when this row needs a person: not reverted, refused, or quarantined."""
        return self.outcome.startswith(("failed", "refused", "quarantined"))
