"""The canary analysis of a run (the journal's ``chaosguard.canary``) as text and HTML, for the
report, JUnit and Markdown.

The analysis itself is :mod:`chaosguard.slo.anomaly.canary`, run by the guard when the experiment
ends (:func:`chaosguard.guard.evidence.canary_of`); here it is only shown. Journals read
defensively: any field may be missing or odd.
"""

from __future__ import annotations

import html
from typing import Any

from chaosguard.journal.facts import as_dict, as_list

__all__ = ["canary_html", "canary_summary", "metric_line", "metrics_of", "score_text"]

_CLASS_COLOUR = {
    "High": "#c62828",
    "Low": "#c62828",
    "Pass": "#2e7d32",
    "NoData": "#6d4c41",
    "Inconclusive": "#757575",
}


def metrics_of(canary: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The per-guard verdicts of ``canary`` (``[]`` when none)."""
    return [m for m in as_list(as_dict(canary).get("metrics")) if isinstance(m, dict)]


def score_text(canary: dict[str, Any] | None) -> str:
    """``"50/100"``, or ``"n/a"`` when nothing was put to the test."""
    score = as_dict(canary).get("score")
    return f"{score:.0f}/100" if isinstance(score, int | float) else "n/a"


def canary_summary(canary: dict[str, Any] | None) -> str:
    """One line: verdict, score and reason, e.g. ``canary fail, score 50/100: p95 changed``."""
    c = as_dict(canary)
    if not c:
        return "canary: not analysed"
    reason = c.get("reason")
    return f"canary {c.get('verdict', '?')}, score {score_text(c)}" + (
        f": {reason}" if reason else ""
    )


def _n(side: Any) -> str:
    s = as_dict(side)
    text = f"{s.get('n', '?')}"
    if s.get("n_raw") not in (None, s.get("n")):
        text += f" of {s.get('n_raw')}"
    if s.get("nan_removed"):
        text += f", {s['nan_removed']} NaN/unreadable removed"
    return text


def _effect(m: dict[str, Any]) -> str:
    if m.get("effect_unbounded"):
        return "unbounded (zero baseline)"
    effect = m.get("effect")
    return f"{effect:+.1%}" if isinstance(effect, int | float) else "–"


def _p(m: dict[str, Any]) -> str:
    p = m.get("p_value")
    return f"{p:.3g}" if isinstance(p, int | float) else "–"


def metric_line(m: dict[str, Any]) -> str:
    """One guard's verdict as one line of text."""
    hl = m.get("hl_shift")
    line = (
        f"{m.get('guard', '?')}: {m.get('classification', '?')}"
        + (" (failing)" if m.get("failed") else "")
        + f", p {_p(m)}, effect {_effect(m)}"
        + (f", shift {hl:+.4g}" if isinstance(hl, int | float) else "")
        + f", n baseline {_n(m.get('baseline'))}, fault window {_n(m.get('experiment'))}"
    )
    if isinstance(m.get("thin"), int) and m["thin"] > 1:
        line += f", thinned 1 in {m['thin']}"
    if m.get("classification") in ("Inconclusive", "NoData") and m.get("reason"):
        line += f" — {m['reason']}"
    return line


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def canary_html(canary: dict[str, Any] | None) -> str:
    """The report's canary section: verdict, score, one row per guard."""
    c = as_dict(canary)
    if not c:
        return "<p>No canary analysis in this journal.</p>"
    rows = []
    for m in metrics_of(c):
        cls = str(m.get("classification", "?"))
        colour = _CLASS_COLOUR.get(cls, "#555")
        base, exp = as_dict(m.get("baseline")), as_dict(m.get("experiment"))
        median_b, median_e = base.get("median"), exp.get("median")
        medians = (
            f"{median_b:.4g} → {median_e:.4g}"
            if isinstance(median_b, int | float) and isinstance(median_e, int | float)
            else "–"
        )
        rows.append(
            f"<tr><td>{_e(m.get('guard'))}</td>"
            f'<td><span class="badge" style="background:{colour}">{_e(cls)}</span>'
            f"{' failing' if m.get('failed') else ''}</td>"
            f'<td class="num">{_e(_p(m))}</td><td class="num">{_e(_effect(m))}</td>'
            f'<td class="num">{_e(medians)}</td>'
            f'<td class="num">{_e(_n(base))}</td><td class="num">{_e(_n(exp))}</td>'
            f'<td class="num">{_e(m.get("thin", 1))}</td><td>{_e(m.get("reason"))}</td></tr>'
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "guard",
            "verdict",
            "p",
            "effect (mean)",
            "median baseline → fault",
            "n baseline",
            "n fault window",
            "thin",
            "detail",
        )
    )
    window = as_dict(c.get("window"))
    confidence = next((m.get("confidence") for m in metrics_of(c)), None)
    lead = (
        f'<p class="canary">Canary <b>{_e(c.get("verdict"))}</b>, score '
        f"<b>{_e(score_text(c))}</b>: {_e(c.get('reason') or '')}"
        + (
            f" (Mann-Whitney U at {confidence:.0%} confidence, fault window against baseline)"
            if isinstance(confidence, int | float)
            else ""
        )
        + ("" if window.get("fault_start") is not None or not window else " — no fault window")
        + "</p>"
    )
    table = f"<table><tr>{head}</tr>{''.join(rows)}</table>" if rows else ""
    return lead + table
