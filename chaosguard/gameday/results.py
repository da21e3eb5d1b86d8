"""Results of a game day: one :class:`ExperimentResult` per experiment, one :class:`SuiteResult`.

:func:`classify` reads an experiment's outcome from its journal (the ``chaosguard`` section the
guard writes) and from how ``chaos run`` ended; a run without that evidence is an ``error``: it was
not guarded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaosguard.gameday.launch import ChaosRun
from chaosguard.gameday.recovery import RecoveryResult
from chaosguard.gameday.score import FORMULA
from chaosguard.gameday.verdict import Verdict, verdict_of
from chaosguard.outcomes import Outcome

__all__ = ["ExperimentResult", "SuiteResult", "classify", "last_line"]


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def last_line(path: Path) -> str:
    """The last non-empty line of a (log) file, shortened; "" when none."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 8192))
            lines = [ln for ln in fh.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return _short(lines[-1]) if lines else ""


def _breach(guard: dict[str, Any]) -> str:
    breach = guard.get("breach") or {}
    value = breach.get("value")
    shown = (
        "unreadable"
        if value is None
        else f"{value:g}"
        if isinstance(value, int | float)
        else str(value)
    )
    why = f", {breach['reason']}" if value is None and breach.get("reason") else ""
    name, threshold = breach.get("guard", "?"), breach.get("threshold", "?")
    return f"guard '{name}' breached: {shown} (objective {threshold}{why})"


def classify(
    journal: dict[str, Any] | None,
    run: ChaosRun,
    output: Path | None = None,
    timeout_s: float | None = None,
) -> tuple[str, str | None]:
    """``(outcome, reason)`` of one ``chaos run`` (outcomes: :mod:`chaosguard.gameday.verdict`)."""
    tail = last_line(output) if output is not None else ""
    if run.timed_out:
        return "error", f"timed out after {timeout_s:g} s; chaos run was interrupted" + (
            " and had to be killed" if run.killed else ""
        )
    if run.interrupted:
        return "error", "interrupted: the game day was asked to stop"
    if journal is None:
        return "error", f"chaos run exited {run.rc} without a journal" + (
            f": {tail}" if tail else ""
        )
    guard = journal.get("chaosguard")
    if not isinstance(guard, dict) or not isinstance(guard.get("outcome"), str):
        return "error", "the journal has no chaosguard evidence: the experiment was not guarded"
    outcome, reason = guard["outcome"], guard.get("reason")
    if outcome not in set(Outcome) or outcome == Outcome.SKIPPED:
        return "error", f"unknown chaosguard outcome {outcome!r}"
    if outcome == "aborted":
        return "aborted", _breach(guard)
    if (outcome == "met") != (run.rc == 0):
        return "error", f"chaos run exited {run.rc} but the journal says {outcome}" + (
            f": {tail}" if tail else ""
        )
    if outcome == "deviated" and not reason:
        failed = [
            p["activity"].get("name")
            for p in ((journal.get("steady_states") or {}).get("after") or {}).get("probes", [])
            if isinstance(p, dict)
            and p.get("tolerance_met") is False
            and isinstance(p.get("activity"), dict)
        ]
        reason = "hypothesis not met after the method" + (
            f": {', '.join(map(str, failed))}" if failed else ""
        )
    return outcome, (_short(str(reason)) if reason else None)


@dataclass
class ExperimentResult:
    """What one experiment of the suite did."""

    index: int
    name: str
    path: str
    weight: float
    outcome: str
    reason: str | None = None
    rc: int | None = None
    duration_s: float = 0.0
    directory: str | None = None
    journal: dict[str, Any] | None = field(default=None, repr=False)
    recovery: RecoveryResult | None = None

    @property
    def verdict(self) -> Verdict:
        """The exit code this outcome stands for."""
        return verdict_of(self.outcome)

    @property
    def canary(self) -> dict[str, Any]:
        """The run's canary analysis (``chaosguard.canary`` of its journal; ``{}`` when none)."""
        guard = self.journal.get("chaosguard") if self.journal is not None else None
        canary = guard.get("canary") if isinstance(guard, dict) else None
        return canary if isinstance(canary, dict) else {}

    @property
    def canary_score(self) -> float | None:
        """The run's canary score 0–100 (None: no analysis, or nothing was compared)."""
        score = self.canary.get("score")
        if isinstance(score, bool) or not isinstance(score, int | float):
            return None
        return float(score)

    def score_item(self) -> tuple[str, float, float | None]:
        """What :func:`~chaosguard.gameday.score.resilience_score` takes for this experiment: the
        canary score only when the canary reached a verdict (``pass`` or ``fail``); a canary too
        short or without data to judge leaves the weight whole (its verdict is in the reports)."""
        conclusive = self.canary.get("verdict") in ("pass", "fail")
        return self.outcome, self.weight, self.canary_score if conclusive else None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for ``summary.json``."""
        return {
            "index": self.index,
            "name": self.name,
            "path": self.path,
            "weight": self.weight,
            "outcome": self.outcome,
            "exit_code": int(self.verdict),
            "reason": self.reason,
            "rc": self.rc,
            "duration_s": round(self.duration_s, 3),
            "directory": self.directory,
            "journal": str(Path(self.directory) / "journal.json")
            if self.directory and self.journal
            else None,
            "recovery_before": self.recovery.as_dict() if self.recovery is not None else None,
            "canary_score": self.canary_score,
            "canary_verdict": self.canary.get("verdict"),
        }

    def report_journal(self, suite: str) -> dict[str, Any]:
        """The journal handed to the report writers: the real one with the runner's verdict in its
        ``chaosguard`` section, or a minimal one for an experiment without a journal (error,
        skipped)."""
        verdict = {"outcome": self.outcome, "reason": self.reason}
        gameday = {
            "suite": suite,
            "index": self.index,
            "weight": self.weight,
            "exit_code": int(self.verdict),
            "path": self.path,
        }
        if self.journal is not None:
            guard = self.journal.get("chaosguard")
            return {
                **self.journal,
                "chaosguard": {**(guard if isinstance(guard, dict) else {}), **verdict},
                "gameday": gameday,
            }
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        return {
            "experiment": {"title": self.name, "description": "", "method": []},
            "status": "skipped" if self.outcome == "skipped" else "failed",
            "deviated": False,
            "start": now,
            "end": now,
            "duration": self.duration_s,
            "steady_states": {"before": None, "after": None, "during": []},
            "run": [],
            "rollbacks": [],
            "chaosguard": verdict,
            "gameday": gameday,
        }


@dataclass
class SuiteResult:
    """What the whole game day did, and its exit code and score."""

    name: str
    source: str
    output_dir: Path
    started_at: float
    ended_at: float
    results: list[ExperimentResult]
    verdict: Verdict
    score: float | None
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reports: dict[str, str | None] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """How many experiments ended with each outcome (only outcomes that occurred)."""
        out: dict[str, int] = {}
        for r in self.results:
            out[r.outcome] = out.get(r.outcome, 0) + 1
        return out

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for ``summary.json``."""
        return {
            "suite": self.name,
            "source": self.source,
            "output_dir": str(self.output_dir),
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "duration_s": round(self.ended_at - self.started_at, 3),
            "exit_code": int(self.verdict),
            "verdict": self.verdict.name.lower(),
            "score": None if self.score is None else round(self.score, 1),
            "score_formula": FORMULA,
            "counts": self.counts(),
            "stopped": self.stopped,
            "errors": self.errors,
            "warnings": self.warnings,
            "reports": self.reports,
            "experiments": [r.as_dict() for r in self.results],
        }


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
