"""Fault kinds (layer 3): one unit per kind with a symmetric ``inject``/``revert`` pair, recorded first.

- :mod:`~chaosguard.faults.contract`: the :class:`FaultKind` protocol, the registry of kinds, and the one
  sequence every change goes through (ledger record on disk *before* the world changes).
- :mod:`~chaosguard.faults.runs`: that contract bound to this process's run (:func:`run_ledger` starts
  the run, reverting dead runs' leftovers first).
- :mod:`~chaosguard.faults.cleanup`: revert what dead runs left open, and what this process leaves at
  exit; one sweep entry point for ``chaos cleanup``.
- one subpackage or module per kind: ``latency``, ``stress``, ``process``, ``podkill``, ``chaosmesh``;
  :mod:`~chaosguard.faults.workers` and :mod:`~chaosguard.faults.child` are the two sides of a local
  worker process that dies with its runner.

Re-exports are *lazy*: fault worker processes (``python -m chaosguard.faults.<kind>...``) import this
package on start-up and must not pay for pydantic, chaoslib and the ledger they never use (about 0.15 s
and 20 MiB per worker).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FaultKind",
    "FaultRecord",
    "KINDS",
    "kind",
    "inject",
    "revert",
    "open_records",
    "run_ledger",
]

_WHERE = {
    "FaultKind": "contract",
    "FaultRecord": "contract",
    "KINDS": "contract",
    "kind": "contract",
    "inject": "runs",
    "revert": "runs",
    "open_records": "runs",
    "run_ledger": "runs",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"chaosguard.faults.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'chaosguard.faults' has no attribute {name!r}")
