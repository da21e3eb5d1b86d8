"""The fault contract: every fault kind is one unit with a symmetric ``inject``/``revert`` pair.

The sequence is always the same, and lives only here::

    spec  = Kind.Spec(...)                  # frozen, validated; bad input never gets this far
    rec   = ledger.open(kind, spec)         # fsync'ed BEFORE anything changes
    hnd   = kind.inject(spec, rec)          # returns what revert needs (pids, uids, addresses)
    rec   = ledger.update(rec, hnd)
    ...
    kind.revert(rec); ledger.close(rec)     # idempotent; a vanished target counts as reverted

Every function here takes the run's ledger explicitly; :mod:`chaosguard.faults.runs` binds them to this
process's run. Kinds are registered by dotted path and imported on first use, so heavy dependencies (the
Kubernetes client) load only when such a fault is used.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from chaosguard.errors import ChaosGuardError, InjectionError, RevertError
from chaosguard.ledger.store import FaultRecord, RunLedger

__all__ = ["FaultKind", "FaultRecord", "KINDS", "kind", "inject", "revert"]


@runtime_checkable
class FaultKind(Protocol):
    """One kind of fault. Implementations act on what the spec names; they never select targets."""

    name: str
    Spec: type[BaseModel]
    revertible: bool

    def inject(self, spec: Any, record: FaultRecord) -> dict[str, Any]:
        """Change the world as ``spec`` says; return the handles revert needs. Raise on failure."""
        ...

    def revert(self, record: FaultRecord) -> str:
        """Undo ``record``'s fault; return the outcome (``reverted``, ``vanished``). Idempotent."""
        ...


#: name → "module:attribute" of the kind object. Explicit on purpose (no reflection).
KINDS: dict[str, str] = {
    "latency-proxy": "chaosguard.faults.latency.kind:KIND",
    "latency-toxic": "chaosguard.faults.latency.toxic_kind:KIND",
    "cpu-stress": "chaosguard.faults.stress.cpu:KIND",
    "memory-stress": "chaosguard.faults.stress.memory:KIND",
    "process-signal": "chaosguard.faults.process:KIND",
    "pod-kill": "chaosguard.faults.podkill:KIND",
    "chaosmesh-network": "chaosguard.faults.chaosmesh.network:KIND",
    "chaosmesh-stress": "chaosguard.faults.chaosmesh.stress:KIND",
}

_loaded: dict[str, FaultKind] = {}


def kind(name: str) -> FaultKind:
    """The registered fault kind ``name`` (imported on first use)."""
    if name not in _loaded:
        try:
            module, attr = KINDS[name].split(":")
        except KeyError:
            known = ", ".join(sorted(KINDS))
            raise ChaosGuardError(f"unknown fault kind '{name}' (known: {known})") from None
        _loaded[name] = getattr(importlib.import_module(module), attr)
    return _loaded[name]


def inject(kind_name: str, spec: BaseModel, ledger: RunLedger) -> FaultRecord:
    """Record then inject one fault; on failure revert whatever started and re-raise."""
    k = kind(kind_name)
    record = ledger.open(k.name, spec.model_dump(mode="json"), revertible=k.revertible)
    try:
        handles = k.inject(spec, record)
    except BaseException as exc:
        try:
            outcome = k.revert(record)
            ledger.close(record, f"inject-failed/{outcome}")
        except Exception:
            pass
        if isinstance(exc, ChaosGuardError) or not isinstance(exc, Exception):
            raise
        raise InjectionError(f"{k.name}: {exc}") from exc
    return ledger.update(record, handles) if handles else record


def revert(record: FaultRecord, ledger: RunLedger) -> FaultRecord:
    """Revert ``record`` and close it. Already closed → returned unchanged. Failure → :class:`RevertError`."""
    if not record.is_open:
        return record
    k = kind(record.kind)
    try:
        outcome = k.revert(record)
    except RevertError:
        raise
    except Exception as exc:
        raise RevertError(f"{record.kind} {record.id}: {exc}") from exc
    return ledger.close(record, outcome)
