"""The fault contract (re-exported lazily by :mod:`chaosguard.faults`).

Every fault kind is one unit with a symmetric ``inject``/``revert`` pair.

The sequence is always the same, and lives only here::

    spec  = Kind.Spec(...)                  # frozen, validated; bad input never gets this far
    rec   = ledger.open(kind, spec)         # fsync'ed BEFORE anything changes
    hnd   = kind.inject(spec, rec)          # returns what revert needs (pids, uids, addresses)
    rec   = ledger.update(rec, hnd)
    ...
    kind.revert(rec); ledger.close(rec)     # idempotent; a vanished target counts as reverted

Kinds are registered by dotted path and imported on first use, so heavy dependencies (the Kubernetes
client) load only when such a fault is used. ``tests/unit/faults`` checks every entry against
:class:`FaultKind`.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from chaosguard.errors import ChaosGuardError, InjectionError, RevertError
from chaosguard.safety.ledger import FaultRecord, RunLedger, current_run

__all__ = ["FaultKind", "FaultRecord", "KINDS", "kind", "inject", "revert", "open_records"]


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
            raise ChaosGuardError(f"unknown fault kind '{name}' (known: {', '.join(sorted(KINDS))})") from None
        _loaded[name] = getattr(importlib.import_module(module), attr)
    return _loaded[name]


def inject(kind_name: str, spec: BaseModel, ledger: RunLedger | None = None) -> FaultRecord:
    """Record then inject one fault; on failure revert whatever started and re-raise."""
    k = kind(kind_name)
    run = ledger or current_run()
    record = run.open(k.name, spec.model_dump(mode="json"), revertible=k.revertible)
    try:
        handles = k.inject(spec, record)
    except BaseException as exc:
        try:
            outcome = k.revert(record)
            run.close(record, f"inject-failed/{outcome}")
        except Exception:  # noqa: BLE001 - the record stays open; cleanup will retry
            pass
        if isinstance(exc, ChaosGuardError) or not isinstance(exc, Exception):
            raise
        raise InjectionError(f"{k.name}: {exc}") from exc
    return run.update(record, handles) if handles else record


def revert(record: FaultRecord, ledger: RunLedger | None = None) -> FaultRecord:
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
    return (ledger or current_run()).close(record, outcome)


def open_records(kind_name: str | None = None, ledger: RunLedger | None = None) -> list[FaultRecord]:
    """This run's open records (optionally of one kind), oldest first."""
    recs = (ledger or current_run()).state().open_records
    return [r for r in recs if kind_name is None or r.kind == kind_name]
