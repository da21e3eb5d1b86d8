"""The ``chaosguard`` section of the journal: what was allowed, watched, breached and reverted,
and the canary analysis of the run (each guard's fault window against its baseline window).

Canary windows (:func:`canary_windows`): the **baseline** is every reading of a guard taken before
the first method action (the preflight readings and the watcher's readings while the steady-state
hypothesis ran); the **fault window** runs from the first method action (the journal's ``run``
entries: the earliest ``start`` of an ``action``) to the breach when a guard aborted the run, else
to the end of the method (the latest ``end`` of a ``run`` entry). Readings after that (rollbacks,
the hypothesis after) belong to neither. No method action: nothing was put to the test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import TYPE_CHECKING, Any

from chaosguard import __version__
from chaosguard.guard.session import POLICY_GUARDS, GuardSession
from chaosguard.journal.facts import as_dict, as_list, epoch_of
from chaosguard.outcomes import Outcome

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy


__all__ = [
    "build_evidence",
    "canary_of",
    "canary_windows",
    "injected_kinds",
    "policy_digest",
    "run_records",
]


def policy_digest(policy: Policy | None) -> str:
    """sha256 of the merged policy's canonical JSON (``none`` when no policy loaded).

    The canonical form is ``json.dumps(..., sort_keys=True)`` with the default separators; journals
    already written carry digests made this way (:meth:`Policy.digest` is a different form).
    """
    if policy is None:
        return "none"
    data = policy.model_dump(mode="json")
    return "sha256:" + hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def run_records(session: GuardSession) -> list[dict[str, Any]]:
    """Every fault record the ledger holds for this run, as plain JSON (``[]`` before any)."""
    from chaosguard.ledger.store import existing_run

    run = existing_run() if session.run_id else None
    if run is None:
        return []
    return [r.model_dump(mode="json") for r in run.state().records.values()]


def injected_kinds(records: list[dict[str, Any]]) -> list[str]:
    """The kinds of the faults the ledger says this run injected (what "nothing was injected"
    is checked against)."""
    return [str(r.get("kind")) for r in records]


def build_evidence(
    session: GuardSession,
    *,
    outcome: Outcome,
    reason: str | None,
    leftovers: list[dict[str, Any]],
    rollbacks_played_by_guard: bool,
    steady_state_after_abort: dict[str, Any] | None,
    records: list[dict[str, Any]] | None = None,
    journal: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything an auditor needs to trust the run, as plain JSON (the journal's ``chaosguard``
    section). ``injected`` lists the fault kinds the ledger holds for this run; ``canary`` the
    canary analysis (:func:`canary_of`), from ``journal``'s ``run`` entries."""
    records = run_records(session) if records is None else records
    watcher = session.watcher
    breach = dataclasses.asdict(session.breach) if session.breach is not None else None
    if breach is not None and breach.get("faults_reverted_at") and breach.get("source_at"):
        breach["revert_latency_s"] = round(breach["faults_reverted_at"] - breach["source_at"], 4)
    section = {
        "version": __version__,
        "run_id": session.run_id,
        "outcome": outcome,
        "reason": reason,
        "policy_digest": policy_digest(session.policy),
        "policy": session.policy.model_dump(mode="json") if session.policy is not None else None,
        "guards": [g.model_dump(mode="json") for g in session.guard_specs],
        "interval_s": session.interval_s,
        "preflight": [r.as_dict() for r in session.preflight_readings],
        "readings": [r.as_dict() for r in (watcher.readings if watcher else [])],
        # what each anomaly guard learned in the baseline phase (empty without anomaly guards)
        "baselines": dict(getattr(session, "baselines", None) or {}),
        "breach": breach,
        "rollbacks_played_by_guard": rollbacks_played_by_guard,
        "steady_state_after_abort": steady_state_after_abort,
        "leftovers_reverted": leftovers,
        "ledger": records,
        "injected": injected_kinds(records),
        "lock": {"scope": session.lock.scope, "took_over": session.lock.previous}
        if session.lock is not None
        else None,
    }
    first = getattr(session, "first_action_at", None)
    section["canary"] = canary_of(
        section, journal or {}, first_action_at=first if isinstance(first, float) else None
    )
    return section


def canary_windows(
    section: dict[str, Any], journal: dict[str, Any], first_action_at: float | None = None
) -> tuple[float | None, float | None]:
    """``(fault window start, end)`` in epoch seconds (start None: no method action ran)."""
    runs = [r for r in as_list(journal.get("run")) if isinstance(r, dict)]
    starts = [
        epoch_of(r.get("start")) for r in runs if as_dict(r.get("activity")).get("type") == "action"
    ]
    start = min((t for t in starts if t is not None), default=first_action_at)
    if start is None:
        return None, None
    ends = [t for t in (epoch_of(r.get("end")) for r in runs) if t is not None]
    end = max(ends, default=None)
    breach = as_dict(section.get("breach"))
    observed = breach.get("observed_at")
    if isinstance(observed, int | float) and not isinstance(observed, bool):
        end = float(observed) if end is None else min(end, float(observed))
    return start, end


def canary_of(
    section: dict[str, Any], journal: dict[str, Any], first_action_at: float | None = None
) -> dict[str, Any]:
    """The canary analysis of a run (the ``canary`` value of the ``chaosguard`` section), from the
    section's guards, preflight readings and readings; never raises (a failure is reported as
    the verdict ``error`` with its reason, and the score None)."""
    from chaosguard.slo.anomaly.canary import analyse_run

    try:
        start, end = canary_windows(section, journal, first_action_at)
        seen: set[tuple[str, float]] = set()
        readings = []
        for r in as_list(section.get("preflight")) + as_list(section.get("readings")):
            at = r.get("read_at") if isinstance(r, dict) else None
            if isinstance(at, int | float) and (str(r.get("guard")), float(at)) not in seen:
                seen.add((str(r.get("guard")), float(at)))
                readings.append(r)
        series = []
        for guard in as_list(section.get("guards")):
            if not isinstance(guard, dict) or guard.get("name") in POLICY_GUARDS:
                continue
            mine = [r for r in readings if r.get("guard") == guard.get("name")]
            mine.sort(key=lambda r: float(r["read_at"]))
            base = [_value(r) for r in mine if start is None or r["read_at"] < start]
            fault = [
                _value(r)
                for r in mine
                if start is not None
                and start <= r["read_at"]
                and (end is None or r["read_at"] <= end)
            ]
            series.append((guard, base, fault))
        interval = section.get("interval_s")
        run = analyse_run(
            series,
            interval_s=float(interval) if isinstance(interval, int | float) else 1.0,
            fault_window=start is not None,
        )
    except Exception as exc:  # evidence must be written whatever the analysis does
        return {"score": None, "verdict": "error", "reason": f"{type(exc).__name__}: {exc}"}
    out = run.as_dict()
    out["window"] = {"fault_start": start, "fault_end": end}
    return out


def _value(reading: dict[str, Any]) -> float | None:
    value = reading.get("value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
