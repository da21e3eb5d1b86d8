"""Markdown summary for a CI job summary (``$GITHUB_STEP_SUMMARY``) or a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from chaosguard.journal.canary import canary_summary, metric_line, metrics_of, score_text
from chaosguard.journal.config import MarkdownPublisher
from chaosguard.journal.facts import RunFacts, facts_of
from chaosguard.journal.files import private_write
from chaosguard.journal.publishers import PublishContext, expand_path
from chaosguard.journal.redact import redactor_for

__all__ = ["render_markdown", "publish"]

_ICON = {
    "met": "✅",
    "deviated": "❌",
    "aborted": "🛑",
    "refused": "⛔",
    "action-failed": "❌",
    "rollback-failed": "🧯",
    "steady-state-unmet": "⚠️",
    "error": "💥",
    "skipped": "⏭️",
}


def _cell(value: Any) -> str:
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _duration(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.1f} s"


def _breach_line(facts: RunFacts) -> str:
    b = facts.breach or {}
    if not b:
        return ""
    latency, value = b.get("revert_latency_s"), b.get("value")
    read = f"{value:.6g}" if isinstance(value, int | float) else "nothing (unreadable)"
    return (
        f"- breach: guard `{_cell(b.get('guard'))}` read {read}, objective "
        f"`{_cell(b.get('threshold'))}` ({_cell(b.get('reason'))})"
        + (
            f"; faults reverted {latency * 1000:.0f} ms after the breach"
            if isinstance(latency, int | float)
            else ""
        )
    )


def render_markdown(journals: list[dict[str, Any]]) -> str:
    """A Markdown summary of ``journals``: one table row per run (with its canary verdict and
    score), then each run's breach, canary analysis per guard and fault windows."""
    redactor = redactor_for(journals)
    facts = [facts_of(redactor.value(j)) for j in journals]
    counts: dict[str, int] = {}
    for f in facts:
        counts[f.outcome] = counts.get(f.outcome, 0) + 1
    tally = ", ".join(f"{n} {o}" for o, n in counts.items()) or "no runs"
    lines = [
        f"### Chaos experiments: {len(facts)} run{'s' if len(facts) != 1 else ''} ({tally})",
        "",
        "| | Experiment | Outcome | Status | Duration | Canary | Reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in facts:
        canary = f"{f.canary.get('verdict')} {score_text(f.canary)}" if f.canary else "–"
        lines.append(
            f"| {_ICON.get(f.outcome, '❔')} | {_cell(f.title)} | **{_cell(f.outcome)}** | "
            f"{_cell(f.status)} | {_duration(f.duration_s)} | {_cell(canary)} | "
            f"{_cell(f.reason or '')} |"
        )
    for f in facts:
        details = [_breach_line(f)] if f.breach else []
        if f.canary:
            details.append(f"- {_cell(canary_summary(f.canary))}")
            details += [f"  - {_cell(metric_line(m))}" for m in metrics_of(f.canary)]
        for w in f.windows:
            end = (
                "still open"
                if w.closed_at is None
                else f"{w.closed_at - w.created_at:.1f} s, {w.outcome}"
            )
            details.append(f"- fault `{_cell(w.kind)}` {_cell(w.id)}: {end}")
        if f.policy_digest:
            details.append(f"- policy `{_cell(f.policy_digest[:19])}…`")
        if details:
            lines += ["", f"**{_cell(f.title)}** — {_cell(f.outcome)}", "", *details]
    return redactor.text("\n".join(lines)) + "\n"


def publish(spec: MarkdownPublisher, ctx: PublishContext) -> str:
    """Append to ``$GITHUB_STEP_SUMMARY`` (when set and ``step_summary``), else write
    ``spec.path``."""
    text = render_markdown([ctx.journal])
    summary = ctx.env.get("GITHUB_STEP_SUMMARY") if spec.step_summary else None
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return f"{summary} ($GITHUB_STEP_SUMMARY)"
    return str(private_write(Path(expand_path(spec.path, ctx)), text.encode("utf-8")))
