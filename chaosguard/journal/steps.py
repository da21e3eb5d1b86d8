"""The steps of a run as rows: hypothesis before, method, hypothesis after, rollbacks, re-check
after abort."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chaosguard.journal.facts import as_dict, as_list, epoch_of

__all__ = ["Step", "steps_of", "short"]


@dataclass(frozen=True)
class Step:
    """One activity run (times are epoch seconds; ``status`` is ``interrupted`` when the journal has
    none)."""

    phase: str
    name: str
    type: str
    target: str
    start: float | None
    end: float | None
    duration_s: float | None
    status: str
    detail: str


def short(value: Any, limit: int = 120) -> str:
    """A one-line text of ``value`` cut to ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _target(activity: dict[str, Any]) -> str:
    provider = as_dict(activity.get("provider"))
    kind = provider.get("type")
    if kind == "python":
        return f"{provider.get('module', '?')}.{provider.get('func', '?')}"
    if kind == "process":
        return str(provider.get("path", "?"))
    if kind == "http":
        return f"{provider.get('method', 'GET')} {provider.get('url', '?')}"
    return str(kind or "?")


def _status(run: dict[str, Any]) -> str:
    status = str(run.get("status") or "interrupted")
    if "tolerance_met" in run:
        return f"{status}, tolerance {'met' if run['tolerance_met'] else 'NOT met'}"
    return status


def _detail(run: dict[str, Any]) -> str:
    exc = run.get("exception")
    if exc:
        lines = exc if isinstance(exc, list) else [str(exc)]
        return short(str(lines[-1]).strip())
    if "output" in run and run["output"] is not None:
        return short(run["output"])
    return ""


def _rows(phase: str, runs: Any) -> list[Step]:
    out = []
    for run in runs if isinstance(runs, list) else []:
        if not isinstance(run, dict):
            continue
        activity = as_dict(run.get("activity"))
        duration = run.get("duration")
        out.append(
            Step(
                phase=phase,
                name=str(activity.get("name") or "?"),
                type=str(activity.get("type") or "?"),
                target=_target(activity),
                start=epoch_of(run.get("start")),
                end=epoch_of(run.get("end")),
                duration_s=float(duration) if isinstance(duration, int | float) else None,
                status=_status(run),
                detail=_detail(run),
            )
        )
    return out


def _hypothesis(state: Any) -> list[Any]:
    return as_list(as_dict(state).get("probes"))


def steps_of(journal: dict[str, Any]) -> list[Step]:
    """Every activity of the run in the order it happened (by phase)."""
    steady = as_dict(journal.get("steady_states"))
    section = as_dict(journal.get("chaosguard"))
    rows = _rows("hypothesis before", _hypothesis(steady.get("before")))
    for state in as_list(steady.get("during")):
        rows += _rows("hypothesis during", _hypothesis(state))
    rows += _rows("method", journal.get("run"))
    rows += _rows("hypothesis after", _hypothesis(steady.get("after")))
    rows += _rows("rollbacks", journal.get("rollbacks"))
    recheck = section.get("steady_state_after_abort")
    rows += _rows("re-check after abort", _hypothesis(recheck))
    return rows
