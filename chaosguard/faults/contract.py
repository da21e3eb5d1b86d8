"""The fault contract: what a fault kind is, the registry of kinds, the one way to change the world.

Every change to the world goes through one of three functions here, and each writes the ledger
(fsync'ed) *before* it touches anything::

    inject(kind, spec)    kind.validate(spec)            beyond pydantic; nothing recorded yet
                          ledger.open(kind, spec)        the record, BEFORE the world changes
                          kind.inject(spec, record)      → handles (pids, uids, addresses): update
                          failure → kind.revert + close, InjectionError
                          not revertible (pod kill, SIGTERM) → closed at once, kept as evidence
    change(record, spec)  kind.validate_change(r, spec)  may it change? (most kinds refuse here)
                          ledger.change(record, spec)    the new spec, BEFORE it is applied
                          kind.change(record, spec)      → handles: update
                          failure → ledger.change_failed, InjectionError (the record stays open)
    revert(record)        check_record(record)           the record re-validates, or Refused
                          kind.revert(record)            idempotent; a vanished target is reverted
                          ledger.close(record, outcome)

A record is data from a file, so revert trusts it only once it re-validates (:func:`check_record`):
the kind's spec (or, where the spec checks the world, its shape) and a pydantic model of the handles
(``faults/<kind>/handles.py``): a pid only with its start time, control sockets only inside the
state directory, Kubernetes names as Kubernetes names. A record that does not is refused (nothing
is touched) and ``chaos cleanup`` quarantines its run file.

:func:`observe` asks a kind whether a record's effect is present now (tests and evidence). Every
function here takes the run's ledger explicitly; :mod:`chaosguard.faults.runs` binds them to this
process's run. Kinds are registered by dotted path and imported on first use, so heavy dependencies
(the Kubernetes client) load only when such a fault is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from chaosguard.errors import (
    ChaosGuardError,
    InjectionError,
    InvalidArgument,
    Refused,
    RevertError,
)
from chaosguard.ledger.store import FaultRecord, RunLedger

if TYPE_CHECKING:  # pydantic loads with the first spec, not with the contract
    from pydantic import BaseModel

__all__ = [
    "FaultKind",
    "FaultRecord",
    "FixedFault",
    "KINDS",
    "kind",
    "inject",
    "change",
    "revert",
    "observe",
    "check_record",
    "RECORD_CHECKS",
    "revalidate",
]

SpecT = TypeVar("SpecT", bound="BaseModel")


@runtime_checkable
class FaultKind(Protocol[SpecT]):
    """One kind of fault. Implementations act on what the spec names; they never select targets.

    Each kind module checks its object against this protocol statically (``_: FaultKind[Spec] =
    KIND``); :data:`KINDS` lists them all, and one contract test runs every one through its life.
    """

    #: the kind's name in the ledger and the registry (``cpu-stress``, ``pod-kill``, ...)
    name: str
    #: the frozen pydantic model of what may be asked
    Spec: type[SpecT]

    def validate(self, spec: SpecT) -> None:
        """Check ``spec`` against the world beyond what pydantic checks (a free port, a schema the
        cluster accepts); raise :class:`~chaosguard.errors.InvalidArgument`. Changes nothing."""
        ...

    def revertible(self, spec: SpecT) -> bool:
        """Whether a fault of ``spec`` can be undone (a killed pod cannot; a paused process can)."""
        ...

    def inject(self, spec: SpecT, record: FaultRecord) -> dict[str, Any]:
        """Change the world as ``spec`` says; return the handles revert needs. Raise on failure."""
        ...

    def validate_change(self, record: FaultRecord, new_spec: SpecT) -> None:
        """Raise unless ``record``'s running fault can become ``new_spec``. Changes nothing.

        A kind whose faults cannot change raises :class:`~chaosguard.errors.Refused` here.
        """
        ...

    def change(self, record: FaultRecord, new_spec: SpecT) -> dict[str, Any]:
        """Make ``record``'s running fault what ``new_spec`` says; return handles to add."""
        ...

    def revert(self, record: FaultRecord) -> str:
        """Undo ``record``'s fault; return the outcome: ``reverted``, ``vanished``, ...

        Idempotent: a target that is gone already counts as reverted (``vanished``).
        """
        ...

    def observe(self, record: FaultRecord) -> bool | dict[str, Any]:
        """Whether ``record``'s effect is present now: false, or true / a dict of what is seen."""
        ...


class FixedFault:
    """Mixin for kinds whose faults cannot change once injected: changes are refused up front."""

    name: str

    def validate_change(self, record: FaultRecord, new_spec: Any) -> None:
        """Always refuse: revert the fault and inject a new one instead."""
        raise Refused(
            f"a {self.name} fault cannot be changed once injected "
            f"(record {record.id}); revert it and inject a new one"
        )

    def change(self, record: FaultRecord, new_spec: Any) -> dict[str, Any]:
        """Never reached through the contract (:meth:`validate_change` refuses first)."""
        self.validate_change(record, new_spec)
        raise AssertionError("unreachable")  # pragma: no cover


#: name → "module:attribute" of the kind object. Explicit on purpose (no reflection).
KINDS: dict[str, str] = {
    "latency-proxy": "chaosguard.faults.latency.kind:PROXY_KIND",
    "latency-toxic": "chaosguard.faults.latency.kind:TOXIC_KIND",
    "cpu-stress": "chaosguard.faults.stress.kind:CPU_KIND",
    "memory-stress": "chaosguard.faults.stress.kind:MEMORY_KIND",
    "process-signal": "chaosguard.faults.process.kind:KIND",
    "pod-kill": "chaosguard.faults.podkill.kind:KIND",
    "chaosmesh-network": "chaosguard.faults.chaosmesh.kind:NETWORK_KIND",
    "chaosmesh-stress": "chaosguard.faults.chaosmesh.kind:STRESS_KIND",
}

#: name → "module:function" that re-validates a record before revert and names its exact targets
RECORD_CHECKS: dict[str, str] = {
    "latency-proxy": "chaosguard.faults.latency.handles:check_proxy",
    "latency-toxic": "chaosguard.faults.latency.handles:check_toxic",
    "cpu-stress": "chaosguard.faults.stress.handles:check_cpu",
    "memory-stress": "chaosguard.faults.stress.handles:check_memory",
    "process-signal": "chaosguard.faults.process.handles:check",
    "chaosmesh-network": "chaosguard.faults.chaosmesh.handles:check",
    "chaosmesh-stress": "chaosguard.faults.chaosmesh.handles:check",
}

_loaded: dict[str, FaultKind[Any]] = {}
M = TypeVar("M", bound="BaseModel")


def revalidate(model: type[M], data: Any, where: str) -> M:
    """``data`` validated by ``model``; :class:`ValueError` naming the field (``where.field``)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(part) for part in (where, *err["loc"]))
        raise ValueError(f"{loc}: {err['msg'].removeprefix('Value error, ')}") from None


def check_record(record: FaultRecord) -> str:
    """Re-validate ``record`` as its kind defines it; the exact targets a revert acts on.

    Raise :class:`~chaosguard.errors.Refused` (one line, naming the field) when the record does
    not re-validate: then nothing may act on it.
    """
    if record.kind not in KINDS:
        raise Refused(f"record {record.id}: unknown fault kind {record.kind!r}; not acted on")
    try:
        where = RECORD_CHECKS.get(record.kind)
        if where is None:
            revalidate(kind(record.kind).Spec, record.spec, "spec")
            return "nothing to undo"
        module, attr = where.split(":")
        described: str = getattr(importlib.import_module(module), attr)(record)
        return described
    except ValueError as exc:
        raise Refused(f"record {record.id} does not re-validate: {exc}") from None


def kind(name: str) -> FaultKind[Any]:
    """The registered fault kind ``name`` (imported on first use)."""
    if name not in _loaded:
        try:
            module, attr = KINDS[name].split(":")
        except KeyError:
            known = ", ".join(sorted(KINDS))
            raise ChaosGuardError(f"unknown fault kind '{name}' (known: {known})") from None
        found: FaultKind[Any] = getattr(importlib.import_module(module), attr)
        _loaded[name] = found
    return _loaded[name]


def _checked(k: FaultKind[Any], spec: BaseModel) -> None:
    if not isinstance(spec, k.Spec):
        raise InvalidArgument(
            "spec", f"a {k.name} fault takes a {k.Spec.__name__} (got {type(spec).__name__})"
        )


def _fresh(record: FaultRecord, ledger: RunLedger) -> FaultRecord:
    """``record`` as the ledger has it now (another thread may have changed or closed it)."""
    return ledger.state().records.get(record.id, record)


def inject(kind_name: str, spec: BaseModel, ledger: RunLedger) -> FaultRecord:
    """Validate, record, then inject one fault; on failure revert whatever started and re-raise.

    A fault that cannot be reverted (``kind.revertible(spec)`` false) is closed at once with the
    outcome ``not-revertible``: its record is the evidence of what was done.
    """
    k = kind(kind_name)
    _checked(k, spec)
    k.validate(spec)
    revertible = k.revertible(spec)
    record = ledger.open(k.name, spec.model_dump(mode="json"), revertible=revertible)
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
    if handles:
        record = ledger.update(record, handles)
    return record if revertible else ledger.close(record, "not-revertible")


def change(record: FaultRecord, new_spec: BaseModel, ledger: RunLedger) -> FaultRecord:
    """Change ``record``'s running fault to ``new_spec``: recorded first, then applied.

    Refused (:class:`~chaosguard.errors.Refused`, nothing written) when the record is closed or its
    kind cannot make this change. When applying fails the ledger says so (``change_error``: either
    spec may be in force, and revert undoes both) and :class:`~chaosguard.errors.InjectionError`
    is raised; the record stays open for the rollback, the guard or ``chaos cleanup``.
    """
    record = _fresh(record, ledger)
    if not record.is_open:
        raise Refused(f"{record.kind} {record.id} is closed ({record.outcome}); nothing to change")
    k = kind(record.kind)
    _checked(k, new_spec)
    k.validate_change(record, new_spec)
    record = ledger.change(record, new_spec.model_dump(mode="json"))
    try:
        handles = k.change(record, new_spec)
    except BaseException as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        ledger.change_failed(record, reason)
        if not isinstance(exc, Exception):
            raise
        raise InjectionError(
            f"{record.kind} {record.id}: change not applied ({reason}); the fault stays open and "
            "its revert undoes the old and the new state alike"
        ) from exc
    return ledger.update(record, handles) if handles else record


def revert(record: FaultRecord, ledger: RunLedger) -> FaultRecord:
    """Revert ``record`` and close it. Already closed → returned as the ledger has it.

    A record that is not revertible is closed as ``not-revertible`` without asking its kind. A
    record that does not re-validate (:func:`check_record`) raises
    :class:`~chaosguard.errors.Refused` and nothing is touched. A failure raises
    :class:`~chaosguard.errors.RevertError`; both leave the record open.
    """
    record = _fresh(record, ledger)
    if not record.is_open:
        return record
    if not record.revertible:
        return ledger.close(record, "not-revertible")
    check_record(record)
    k = kind(record.kind)
    try:
        outcome = k.revert(record)
    except RevertError:
        raise
    except Exception as exc:
        raise RevertError(f"{record.kind} {record.id}: {exc}") from exc
    return ledger.close(record, outcome)


def observe(record: FaultRecord) -> bool | dict[str, Any]:
    """Whether ``record``'s effect is present now, as its kind sees it (changes nothing)."""
    return kind(record.kind).observe(record)
