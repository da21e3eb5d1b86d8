"""Fault kinds (layer 5): one unit per kind, and the one contract every change goes through.

- :mod:`~chaosguard.faults.contract`: the :class:`FaultKind` protocol (``name``, ``Spec``,
  ``validate``, ``revertible``, ``inject``, ``validate_change``, ``change``, ``revert``,
  ``observe``), the registry :data:`KINDS`, and the three sequences that change the world:
  ``inject``, ``change`` and ``revert``, each written to the ledger (fsync'ed) *before* anything
  changes.
- :mod:`~chaosguard.faults.runs`: that contract bound to this process's run (:func:`run_ledger`
  starts the run, reverting dead runs' leftovers first), and every lookup of the run's records
  (:func:`open_records`, :func:`find_open`, :func:`find_live`).
- :mod:`~chaosguard.faults.cleanup`: revert what dead runs left open, and what this process leaves
  at exit; :func:`~chaosguard.faults.cleanup.sweep` is the one entry point of ``chaos cleanup``.
- one subpackage per kind, each laid out the same way: ``spec.py`` (the frozen spec), ``kind.py``
  (the kind object(s), checked against the protocol), private worker modules where the kind has
  workers: ``latency`` (``latency-proxy``, ``latency-toxic``), ``stress`` (``cpu-stress``,
  ``memory-stress``), ``process`` (``process-signal``), ``podkill`` (``pod-kill``), ``chaosmesh``
  (``chaosmesh-network``, ``chaosmesh-stress``). :mod:`~chaosguard.faults.workers` and
  :mod:`~chaosguard.faults.child` are the two sides of a local worker process that dies with its
  runner.

Re-exports are *lazy*: fault worker processes (``python -m chaosguard.faults.<kind>...``) import
this package on start-up and must not pay for the contract and the ledger they never use.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FaultKind",
    "FaultRecord",
    "KINDS",
    "kind",
    "inject",
    "change",
    "revert",
    "observe",
    "open_records",
    "find_open",
    "find_live",
    "run_ledger",
]

_WHERE = {
    "FaultKind": "contract",
    "FaultRecord": "contract",
    "KINDS": "contract",
    "kind": "contract",
    "inject": "runs",
    "change": "runs",
    "revert": "runs",
    "observe": "runs",
    "open_records": "runs",
    "find_open": "runs",
    "find_live": "runs",
    "run_ledger": "runs",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"chaosguard.faults.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'chaosguard.faults' has no attribute {name!r}")
