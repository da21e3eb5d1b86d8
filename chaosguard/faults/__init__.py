"""Fault kinds: one unit per kind with a symmetric ``inject``/``revert`` pair, recorded in the ledger first.

The contract lives in :mod:`chaosguard.faults._contract` and is re-exported here *lazily*: fault worker
processes (``python -m chaosguard.faults.<kind>...``) import this package on start-up and must not pay
for pydantic, chaoslib and the ledger they never use (about 0.15 s and 20 MiB per worker).
"""

from __future__ import annotations

from typing import Any

__all__ = ["FaultKind", "FaultRecord", "KINDS", "kind", "inject", "revert", "open_records"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from chaosguard.faults import _contract

        return getattr(_contract, name)
    raise AttributeError(f"module 'chaosguard.faults' has no attribute {name!r}")
