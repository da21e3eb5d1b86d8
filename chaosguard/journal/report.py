"""The HTML report: one self-contained file (CSS and SVG inline, no URL fetched) for a run or suite.

Per run: a summary (outcome, status, duration, policy digest, reason, canary score), the breach and
what was reverted, the timeline (steps, guard readings against their objective, fault windows
shaded, breach marked, baseline band and anomaly marks — see :mod:`chaosguard.journal.timeline`),
the canary analysis (:mod:`chaosguard.journal.canary`), the steps with timings and outcomes, the
guards, the fault ledger, and the full redacted journal. A suite report starts with one summary row
per run. Every journal is redacted (:mod:`chaosguard.journal.redact`) before anything is rendered.
"""

from __future__ import annotations

import html
import json
import logging
import time
from pathlib import Path
from typing import Any

from chaosguard import __version__
from chaosguard.journal.canary import canary_html, score_text
from chaosguard.journal.facts import RunFacts, as_dict, as_list, facts_of
from chaosguard.journal.files import private_write
from chaosguard.journal.redact import redactor_for
from chaosguard.journal.steps import Step, steps_of
from chaosguard.outcomes import FAILING

__all__ = ["render_report", "report_html"]

logger = logging.getLogger("chaostoolkit")

_COLOURS = {
    "met": "#2e7d32",
    "deviated": "#c62828",
    "aborted": "#b71c1c",
    "refused": "#6a1b9a",
    "action-failed": "#c62828",
    "rollback-failed": "#b71c1c",
    "steady-state-unmet": "#ef6c00",
    "error": "#37474f",
    "skipped": "#757575",
}

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;
color:#1d1d1f;background:#fff}h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;
border-bottom:2px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.meta{color:#555;font-size:12px}table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;color:#fff;border-radius:4px;padding:1px 8px;font-weight:600;
white-space:nowrap}.summary td:first-child{font-weight:600;background:#fafafa}
.reason{font-weight:600}.breach{border-left:4px solid #d62728;background:#fff5f5;padding:8px 12px;
margin:8px 0}.bad{color:#c62828;font-weight:600}.ok{color:#2e7d32}
.code{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
details pre{max-height:480px;overflow:auto;background:#f7f7f7;padding:8px;font-size:11px}
.figure svg{max-width:100%;height:auto}section.run{margin-bottom:40px}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _badge(outcome: str) -> str:
    colour = _COLOURS.get(outcome, "#555")
    return f'<span class="badge" style="background:{colour}">{_e(outcome)}</span>'


def _when(epoch: float | None) -> str:
    return "–" if epoch is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _rel(epoch: Any, t0: float | None) -> str:
    if not isinstance(epoch, int | float) or t0 is None:
        return "–"
    return f"+{epoch - t0:.2f} s"


def _num(value: Any) -> str:
    return (
        f"{value:g}"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else str(value)
    )


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f} s"


def _summary(f: RunFacts, journal: dict[str, Any]) -> str:
    rows = [
        ("Outcome", _badge(f.outcome)),
        ("Status", _e(f.status)),
        ("Deviated", _e(f.deviated)),
        ("Duration", _secs(f.duration_s)),
        ("Started", _e(_when(f.start))),
        ("Ended", _e(_when(f.end))),
        ("Policy digest", f'<span class="code">{_e(f.policy_digest or "none (unguarded)")}</span>'),
        ("Reason", f'<span class="reason">{_e(f.reason or "–")}</span>'),
        (
            "Canary",
            f"{_e(f.canary.get('verdict'))}, score {_e(score_text(f.canary))}" if f.canary else "–",
        ),
        ("Run id", _e(f.run_id or "–")),
        ("Node", _e(journal.get("node", "–"))),
        ("chaoslib", _e(journal.get("chaoslib-version", "–"))),
    ]
    body = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="summary">{body}</table>'


def _breach(f: RunFacts) -> str:
    b = f.breach
    if not b:
        return ""
    reverted = (
        ", ".join(
            f"{r.get('kind')} {r.get('record')} ({r.get('outcome')})"
            for r in as_list(b.get("reverted"))
            if isinstance(r, dict)
        )
        or "nothing open"
    )
    errors = "; ".join(str(e) for e in as_list(b.get("revert_errors")))
    value = b.get("value")
    read = f"{value:.6g}" if isinstance(value, int | float) else "nothing (unreadable)"
    return (
        f'<div class="breach"><b>Breach</b>: guard <b>{_e(b.get("guard"))}</b> read '
        f"<b>{_e(read)}</b>, objective {_e(b.get('threshold'))} ({_e(b.get('reason'))}).<br>"
        f"observed {_rel(b.get('observed_at'), f.start)} · "
        f"faults reverted {_rel(b.get('faults_reverted_at'), f.start)}"
        f" · abort issued {_rel(b.get('abort_issued_at'), f.start)} · revert latency "
        f"{_e(b.get('revert_latency_s', '–'))} s<br>reverted: {_e(reverted)}"
        + (f'<br><span class="bad">revert errors: {_e(errors)}</span>' if errors else "")
        + "</div>"
    )


def _steps(steps: list[Step], t0: float | None) -> str:
    if not steps:
        return "<p>No activity ran.</p>"
    rows = []
    for s in steps:
        cls = (
            "bad"
            if ("failed" in s.status or "NOT met" in s.status or s.status == "interrupted")
            else "ok"
        )
        rows.append(
            f"<tr><td>{_e(s.phase)}</td><td>{_e(s.name)}</td><td>{_e(s.type)}</td>"
            f'<td class="code">{_e(s.target)}</td><td class="num">{_rel(s.start, t0)}</td>'
            f'<td class="num">{_secs(s.duration_s)}</td><td class="{cls}">{_e(s.status)}</td>'
            f'<td class="code">{_e(s.detail)}</td></tr>'
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "phase",
            "step",
            "type",
            "provider",
            "start",
            "duration",
            "status",
            "output / error",
        )
    )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _guards(f: RunFacts, journal: dict[str, Any]) -> str:
    section = as_dict(journal.get("chaosguard"))
    if not f.guards:
        return (
            "<p>No guard watched this run.</p>"
            if not section
            else "<p>No guard was configured.</p>"
        )
    readings = [r for r in as_list(section.get("readings")) if isinstance(r, dict)]
    rows = []
    for g in f.guards:
        mine = [r for r in readings if r.get("guard") == g.get("name")]
        values = [r["value"] for r in mine if isinstance(r.get("value"), int | float)]
        objective = f"≤ {_num(g['max'])}" if g.get("max") is not None else f"≥ {_num(g.get('min'))}"
        hit = f.breach is not None and f.breach.get("guard") == g.get("name")
        rows.append(
            f"<tr><td>{_e(g.get('name'))}</td><td>{_e(g.get('source'))}</td>"
            f"<td>{_e(objective)}</td>"
            f'<td class="num">{len(mine)}</td>'
            f'<td class="num">{sum(1 for r in mine if r.get("error"))}</td>'
            f'<td class="num">{_e(f"{min(values):.4g}" if values else "–")}</td>'
            f'<td class="num">{_e(f"{max(values):.4g}" if values else "–")}</td>'
            f'<td class="{"bad" if hit else "ok"}">{"breached" if hit else "held"}</td></tr>'
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("guard", "source", "objective", "readings", "unreadable", "min", "max", "result")
    )
    interval = section.get("interval_s")
    return (
        f"<p>Read every {_e(interval)} s.</p>" if interval else ""
    ) + f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _ledger(f: RunFacts) -> str:
    if not f.windows:
        return "<p>No fault was recorded in the ledger.</p>"
    rows = "".join(
        f'<tr><td class="code">{_e(w.id)}</td><td>{_e(w.kind)}</td>'
        f'<td class="num">{_rel(w.created_at, f.start)}</td>'
        f'<td class="num">{_rel(w.closed_at, f.start)}</td>'
        f'<td class="num">'
        f"{_secs(w.closed_at - w.created_at if w.closed_at is not None else None)}</td>"
        f'<td class="{"bad" if w.closed_at is None else "ok"}">{_e(w.outcome or "OPEN")}</td></tr>'
        for w in f.windows
    )
    head = "".join(
        f"<th>{h}</th>" for h in ("record", "kind", "opened", "closed", "window", "outcome")
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _run_section(index: int, journal: dict[str, Any]) -> tuple[RunFacts, str]:
    from chaosguard.journal.timeline import timeline_svg

    f = facts_of(journal)
    steps = steps_of(journal)
    try:
        svg = timeline_svg(journal, f, steps, salt=f"{index}-{f.slug}")
        figure = f'<div class="figure">{svg}</div>' if svg else "<p>Nothing to plot.</p>"
    except Exception as exc:
        logger.exception("chaosguard: the timeline of %s could not be drawn", f.title)
        figure = f"<p>The timeline could not be drawn ({_e(type(exc).__name__)}).</p>"
    raw = _e(json.dumps(journal, indent=2, default=str, ensure_ascii=False))
    body = (
        f'<section class="run" id="run-{index}"><h2>{_e(f.title)} {_badge(f.outcome)}</h2>'
        f"{_summary(f, journal)}{_breach(f)}<h3>Timeline</h3>{figure}"
        + (f"<h3>Canary analysis</h3>{canary_html(f.canary)}" if f.canary else "")
        + "<h3>Steps</h3>"
        f"{_steps(steps, f.start)}<h3>Guards</h3>{_guards(f, journal)}"
        f"<h3>Fault ledger</h3>{_ledger(f)}"
        f"<details><summary>Journal (redacted JSON)</summary><pre>{raw}</pre></details></section>"
    )
    return f, body


def report_html(journals: list[dict[str, Any]], title: str) -> str:
    """The report of ``journals`` as one HTML document (redacted first)."""
    redactor = redactor_for(journals)
    safe = [redactor.value(j) for j in journals]
    parts = [_run_section(i, j) for i, j in enumerate(safe, 1)]
    failed = sum(1 for f, _ in parts if f.outcome in FAILING or f.outcome == "error")
    rows = "".join(
        f'<tr><td><a href="#run-{i}">{_e(f.title)}</a></td><td>{_badge(f.outcome)}</td>'
        f'<td>{_e(f.status)}</td><td class="num">{_secs(f.duration_s)}</td>'
        f'<td class="num">{_e(score_text(f.canary) if f.canary else "–")}</td>'
        f"<td>{_e(f.reason or '')}</td></tr>"
        for i, (f, _) in enumerate(parts, 1)
    )
    overview = (
        f"<table><tr><th>experiment</th><th>outcome</th><th>status</th><th>duration</th>"
        f"<th>canary</th><th>reason</th></tr>{rows}</table>"
    )
    doc = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(redactor.text(title))}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(redactor.text(title))}</h1>"
        f'<p class="meta">{len(parts)} run(s), {failed} not met · '
        f"generated {_e(_when(time.time()))} by chaosguard {_e(__version__)}</p>"
        f"{overview}{''.join(body for _, body in parts)}</body></html>\n"
    )
    return doc


def render_report(journals: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Write the self-contained HTML report of ``journals`` to ``path`` (atomically); return the
    path."""
    return private_write(Path(path), report_html(journals, title).encode("utf-8"))
