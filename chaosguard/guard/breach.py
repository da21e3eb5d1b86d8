"""What stopped a run (:class:`Breach`), and reverting this run's open faults."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaosguard import faults
from chaosguard.guard.baseline import anomaly_reason
from chaosguard.slo.check import Reading, SloCheck
from chaosguard.telemetry import emit

__all__ = ["Breach", "breach_reason", "lock_lost", "new_breach", "revert_open_faults", "target_of"]

#: The "guard" of a breach caused by losing the run's scope lock (a Kubernetes Lease).
SCOPE_LOCK = "scope-lock"


@dataclass
class Breach:
    """What stopped the run, with the times that bound the abort latency."""

    guard: str
    value: float | None
    threshold: str
    reason: str
    observed_at: float
    source_at: float | None = None
    faults_reverted_at: float | None = None
    abort_issued_at: float | None = None
    reverted: list[dict[str, Any]] = field(default_factory=list)
    revert_errors: list[str] = field(default_factory=list)


def breach_reason(first: Reading | None, checks: Sequence[SloCheck]) -> str:
    """Why ``first`` breached: the policy guard's own words (kill switch: which source and what
    it read; calendar: which window or freeze), the read error, a confirmed anomaly, or the
    objective."""
    if first is None:
        return "the watcher itself failed"
    if first.error:
        return first.error
    check = next((c for c in checks if c.name == first.guard), None)
    if (
        check is not None
        and first.anomalous
        and first.value is not None
        and not check.spec.breached_by(first.value)
    ):
        return anomaly_reason(check, first)
    said = getattr(check.source, "last_reason", "") if check is not None else ""
    return str(said) if said else "objective violated"


def new_breach(
    first: Reading | None, checks: Sequence[SloCheck], objective: Callable[[str], str]
) -> Breach:
    """The :class:`Breach` of the first breaching reading (``None``: the watcher itself failed);
    ``objective(guard)`` gives the guard's objective as text."""
    return Breach(
        guard=first.guard if first else "watcher",
        value=first.value if first else None,
        threshold=objective(first.guard) if first else "off",
        reason=breach_reason(first, checks),
        observed_at=first.read_at if first else time.time(),
        source_at=first.source_at if first else None,
    )


def lock_lost(reason: str) -> Breach:
    """The breach of a run whose scope lock was lost (a Lease not renewed, or taken by another
    runner): it may no longer be alone on its namespaces, so it aborts like a breached SLO."""
    return Breach(
        guard=SCOPE_LOCK, value=None, threshold="off", reason=reason, observed_at=time.time()
    )


def target_of(spec: Mapping[str, Any]) -> str:
    """What a fault acts on, in a few words, from its ledger spec (for events and traces)."""
    if spec.get("namespace"):
        names = [t.get("name") for t in spec.get("targets") or () if isinstance(t, Mapping)]
        return (
            f"{spec['namespace']}/{','.join(map(str, names))}" if names else str(spec["namespace"])
        )
    if spec.get("upstream"):
        return f"{spec.get('listen', '?')} -> {spec['upstream']}"
    if spec.get("targets"):
        pids = [t.get("pid") for t in spec["targets"] if isinstance(t, Mapping)]
        return "pid " + ",".join(map(str, pids))
    for key in ("proxy", "name"):
        if spec.get(key):
            return str(spec[key])
    if spec.get("workers") is not None:
        return f"{spec['workers']} cpu workers"
    if spec.get("mib") is not None:
        return f"{spec['mib']} MiB"
    return ""


def revert_open_faults() -> tuple[list[dict[str, Any]], list[str]]:
    """Revert every open record of this run; return (closed records, error messages).

    Each revert is an event: ``revert`` with the fault's kind and target, whether it worked and
    ``latency_s``, the seconds its revert took.
    """
    done: list[dict[str, Any]] = []
    errors: list[str] = []
    for record in faults.open_records():
        started = time.monotonic()
        try:
            closed = faults.revert(record)
        except Exception as exc:
            errors.append(f"{record.kind} {record.id}: {exc}")
            _revert_event(record, started, error=str(exc))
            continue
        done.append(
            {
                "record": closed.id,
                "kind": closed.kind,
                "outcome": closed.outcome,
                "at": closed.closed_at,
            }
        )
        _revert_event(record, started, outcome=closed.outcome)
    return done, errors


def _revert_event(
    record: Any, started: float, outcome: str | None = None, error: str | None = None
) -> None:
    """Emit ``revert`` for ``record`` (never raises: an event must not stop a revert sweep)."""
    latency = round(time.monotonic() - started, 6)
    fields: dict[str, Any] = {"ok": error is None, "latency_s": latency}
    if outcome is not None:
        fields["outcome"] = outcome
    if error is not None:
        fields["error"] = error
    try:
        target = target_of(record.spec)
    except Exception:
        target = ""
    emit("revert", fault_kind=record.kind, target=target, record_id=record.id, **fields)
