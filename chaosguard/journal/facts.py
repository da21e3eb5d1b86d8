"""What every output needs from a journal: outcome, reason, times, slug, breach, fault windows,
canary analysis.

Journals come from ``chaos run`` with or without the guard. With the guard, its ``chaosguard``
section is the truth (outcome, reason, policy digest); without it, the outcome is derived from the
plain journal the same way the guard would (:func:`chaosguard.outcomes.outcome_of`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chaosguard.outcomes import outcome_of

__all__ = ["RunFacts", "FaultWindow", "facts_of", "slug_of", "epoch_of", "as_dict", "as_list"]


@dataclass(frozen=True)
class FaultWindow:
    """One ledger record as a time window (``closed_at`` None: still open when the journal was
    written)."""

    id: str
    kind: str
    created_at: float
    closed_at: float | None
    outcome: str | None


@dataclass(frozen=True)
class RunFacts:
    """What summaries need from one journal (all times are epoch seconds)."""

    title: str
    slug: str
    outcome: str
    reason: str | None
    status: str
    deviated: bool
    guarded: bool
    start: float | None
    end: float | None
    duration_s: float | None
    policy_digest: str | None
    run_id: str | None
    breach: dict[str, Any] | None
    guards: list[dict[str, Any]] = field(default_factory=list)
    windows: list[FaultWindow] = field(default_factory=list)
    #: the canary analysis (``chaosguard.canary``: score, verdict, reason, metrics); None when the
    #: journal has none (unguarded, or written before canary analysis existed)
    canary: dict[str, Any] | None = None


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else ``{}`` (journals are read defensively: any field may be
    odd)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a list, else ``[]``."""
    return value if isinstance(value, list) else []


def epoch_of(value: Any) -> float | None:
    """Epoch seconds of an ISO-8601 string or a number; None when absent or unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return None


def slug_of(journal: dict[str, Any], limit: int = 48) -> str:
    """A file- and label-safe slug of the experiment title (``experiment`` when it has none)."""
    experiment = as_dict(journal.get("experiment"))
    title = str(experiment.get("title") or "experiment")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "experiment"
    if len(slug) > limit:
        cut = slug[:limit]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[limit // 2 :] else cut
    return slug.strip("-") or "experiment"


def _outcome(journal: dict[str, Any], section: dict[str, Any]) -> tuple[str, str | None]:
    outcome = section.get("outcome")
    if isinstance(outcome, str) and outcome:
        reason = section.get("reason")
        return outcome, str(reason) if reason else None
    try:
        return outcome_of(journal, None, journal.get("status") == "aborted")
    except Exception as exc:
        return "error", f"journal could not be read: {type(exc).__name__}"


def _windows(section: dict[str, Any]) -> list[FaultWindow]:
    out = []
    for rec in as_list(section.get("ledger")):
        if not isinstance(rec, dict):
            continue
        created = epoch_of(rec.get("created_at"))
        if created is None:
            continue
        out.append(
            FaultWindow(
                id=str(rec.get("id") or ""),
                kind=str(rec.get("kind") or "fault"),
                created_at=created,
                closed_at=epoch_of(rec.get("closed_at")),
                outcome=rec.get("outcome") if isinstance(rec.get("outcome"), str) else None,
            )
        )
    return out


def facts_of(journal: dict[str, Any]) -> RunFacts:
    """The :class:`RunFacts` of ``journal`` (never raises on a malformed journal)."""
    section = as_dict(journal.get("chaosguard"))
    experiment = as_dict(journal.get("experiment"))
    outcome, reason = _outcome(journal, section)
    start, end = epoch_of(journal.get("start")), epoch_of(journal.get("end"))
    duration = journal.get("duration")
    duration_s = (
        float(duration)
        if isinstance(duration, int | float) and not isinstance(duration, bool)
        else (end - start if start is not None and end is not None else None)
    )
    breach = section.get("breach") if isinstance(section.get("breach"), dict) else None
    if outcome == "aborted" and not reason and breach:
        value = breach.get("value")
        read = f"value {value:.6g}" if isinstance(value, int | float) else "unreadable"
        reason = (
            f"guard '{breach.get('guard')}' breached: {read}, objective {breach.get('threshold')}"
            f" ({breach.get('reason') or 'violated'})"
        )
    guards = [g for g in as_list(section.get("guards")) if isinstance(g, dict)]
    return RunFacts(
        title=str(experiment.get("title") or "untitled experiment"),
        slug=slug_of(journal),
        outcome=outcome,
        reason=reason,
        status=str(journal.get("status") or "unknown"),
        deviated=bool(journal.get("deviated")),
        guarded="policy_digest"
        in section,  # a section with only a verdict (game day) is not a guard's
        start=start,
        end=end,
        duration_s=duration_s,
        policy_digest=section.get("policy_digest") if section else None,
        run_id=section.get("run_id") if section else None,
        breach=breach,
        guards=guards,
        windows=_windows(section),
        canary=section["canary"] if isinstance(section.get("canary"), dict) else None,
    )
