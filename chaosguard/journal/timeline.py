"""The run's timeline as an inline SVG, drawn with matplotlib.

One panel for the steps (a bar per activity, by phase), then one panel per guard: its readings over
time, the objective line, the fault windows shaded (ledger ``created_at`` → ``closed_at``; still
open: to the end of the run), unreadable reads as crosses on the axis, and the breach marked where
it was observed, with the moment the faults were reverted. Time is seconds since the run started.

The **baseline band** (purple, SVG group ``baseline-band``): the anomaly detector's band where the
readings carry ``band_low``/``band_high``, else the 5–95 % range of the guard's baseline readings
from the canary analysis, with the baseline median dotted. Readings an anomaly detector flagged
(``anomalous``) are purple diamonds; the canary classification of the guard is in the panel title.
"""

from __future__ import annotations

import io
import re
from typing import Any

from chaosguard.journal.facts import FaultWindow, RunFacts, as_dict, as_list
from chaosguard.journal.steps import Step

__all__ = ["timeline_svg"]

_PHASE_COLOURS = {
    "hypothesis before": "#4c78a8",
    "hypothesis during": "#72b7b2",
    "method": "#f58518",
    "hypothesis after": "#54a24b",
    "rollbacks": "#b279a2",
    "re-check after abort": "#9d755d",
}
_FAULT = "#f2a541"
_BREACH = "#d62728"
_REVERT = "#2ca02c"
_BAND = "#9467bd"


def _readings(section: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_guard: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, float]] = set()
    for r in as_list(section.get("preflight")) + as_list(section.get("readings")):
        if not isinstance(r, dict) or not isinstance(r.get("read_at"), int | float):
            continue
        key = (str(r.get("guard")), float(r["read_at"]))
        if key not in seen:
            seen.add(key)
            by_guard.setdefault(key[0], []).append(r)
    return by_guard


def _bounds(
    facts: RunFacts, steps: list[Step], readings: dict[str, list[dict[str, Any]]]
) -> tuple[float, float, float]:
    """(t0 = run start, first time shown, last time shown), all epoch seconds."""
    times = [t for s in steps for t in (s.start, s.end) if t is not None]
    times += [float(r["read_at"]) for rs in readings.values() for r in rs]
    times += [t for w in facts.windows for t in (w.created_at, w.closed_at) if t is not None]
    t0 = facts.start if facts.start is not None else min(times, default=0.0)
    first = min([*times, t0])
    return t0, first, max([*times, facts.end or t0, first + 1.0])


def _shade(ax: Any, windows: list[FaultWindow], t0: float, t1: float, label: bool) -> None:
    for i, w in enumerate(windows):
        end = w.closed_at if w.closed_at is not None else t1
        ax.axvspan(
            w.created_at - t0,
            end - t0,
            color=_FAULT,
            alpha=0.22,
            lw=0,
            label=("fault window" if label and i == 0 else None),
        )


def _band(ax: Any, ordered: list[dict[str, Any]], metric: dict[str, Any], t0: float) -> list[float]:
    """Draw the baseline band; return the y values it spans (to keep them in view)."""
    banded = [
        r
        for r in ordered
        if isinstance(r.get("band_low"), int | float)
        and isinstance(r.get("band_high"), int | float)
    ]
    if banded:
        xs = [float(r["read_at"]) - t0 for r in banded]
        lows = [float(r["band_low"]) for r in banded]
        highs = [float(r["band_high"]) for r in banded]
        art = ax.fill_between(
            xs, lows, highs, step="mid", color=_BAND, alpha=0.18, lw=0, label="detector band"
        )
        art.set_gid("baseline-band")
        return lows + highs
    base = as_dict(metric.get("baseline"))
    got = [base.get(k) for k in ("p05", "median", "p95")]
    nums = [float(v) for v in got if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(nums) != 3:
        return []
    low, mid, high = nums
    art = ax.axhspan(low, high, color=_BAND, alpha=0.18, lw=0, label="baseline 5–95 %")
    art.set_gid("baseline-band")
    ax.axhline(mid, color=_BAND, lw=0.9, ls=":", label=f"baseline median {mid:.4g}")
    return [low, high]


def _anomalies(ax: Any, ordered: list[dict[str, Any]], t0: float) -> None:
    marks = [
        (float(r["read_at"]) - t0, float(r["value"]))
        for r in ordered
        if r.get("anomalous") is True and isinstance(r.get("value"), int | float)
    ]
    if marks:
        ax.plot(
            [x for x, _ in marks],
            [y for _, y in marks],
            ls="none",
            marker="D",
            ms=6,
            color=_BAND,
            zorder=4,
            label=f"anomalous ({len(marks)})",
        )[0].set_gid("anomaly-marks")


def _steps_panel(ax: Any, steps: list[Step], t0: float, t1: float) -> None:
    shown = [s for s in steps if s.start is not None][:40]
    for row, step in enumerate(shown):
        end = step.end if step.end is not None else step.start
        width = max(
            (end or 0) - (step.start or 0), 0.005 * (t1 - t0)
        )  # instant actions stay visible
        interrupted = step.status.startswith("interrupted")
        ax.broken_barh(
            [((step.start or 0) - t0, width)],
            (row - 0.35, 0.7),
            facecolors=_PHASE_COLOURS.get(step.phase, "#888888"),
            hatch="//" if interrupted else None,
            edgecolor="#333333" if interrupted else "none",
        )
    ax.set_yticks(range(len(shown)), [f"{s.name} ({s.phase})" for s in shown], fontsize=7)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_title("steps", fontsize=9, loc="left")


def _guard_panel(
    ax: Any,
    name: str,
    readings: list[dict[str, Any]],
    spec: dict[str, Any] | None,
    facts: RunFacts,
    t0: float,
    t1: float,
) -> None:
    ordered = sorted(readings, key=lambda r: float(r["read_at"]))
    metric = next(
        (
            m
            for m in as_list(as_dict(facts.canary).get("metrics"))
            if isinstance(m, dict) and m.get("guard") == name
        ),
        {},
    )
    line = [
        (
            float(r["read_at"]) - t0,
            float(r["value"]) if isinstance(r.get("value"), int | float) else float("nan"),
        )
        for r in ordered
    ]  # NaN: the line breaks where a read failed
    ok = [(x, y) for x, y in line if y == y]
    bad = [x for x, y in line if y != y]
    _shade(ax, facts.windows, t0, t1, label=True)
    band = _band(ax, ordered, metric, t0)
    if ok:
        dots = "." if len(line) <= 300 else None  # a long run stays a light line
        ax.plot(
            [x for x, _ in line],
            [y for _, y in line],
            marker=dots,
            ms=4,
            lw=1.2,
            color="#1f77b4",
            label="reading",
        )
    objective = None
    if spec is not None:
        objective = spec.get("max") if spec.get("max") is not None else spec.get("min")
    if isinstance(objective, int | float):
        sign = "≤" if spec is not None and spec.get("max") is not None else "≥"
        ax.axhline(objective, color=_BREACH, ls="--", lw=1, label=f"objective {sign} {objective:g}")
    if bad:
        low = min(
            [y for _, y in ok] + ([objective] if isinstance(objective, int | float) else []) or [0]
        )
        ax.plot(bad, [low] * len(bad), ls="none", marker="x", color="#7f7f7f", label="unreadable")
    breach = facts.breach or {}
    if isinstance(breach.get("observed_at"), int | float):
        at = float(breach["observed_at"]) - t0
        if str(breach.get("guard")) == name:
            ax.axvline(at, color=_BREACH, lw=1.2)
            if isinstance(breach.get("value"), int | float):
                ax.plot(
                    [at],
                    [breach["value"]],
                    ls="none",
                    marker="X",
                    ms=11,
                    color=_BREACH,
                    zorder=5,
                    label=f"breach ({breach['value']:.4g})",
                )
                ax.annotate(
                    "breach",
                    (at, breach["value"]),
                    textcoords="offset points",
                    xytext=(6, 6),
                    color=_BREACH,
                    fontsize=8,
                    fontweight="bold",
                )
        else:
            ax.axvline(at, color=_BREACH, lw=0.8, ls=":", label="breach (other guard)")
        if isinstance(breach.get("faults_reverted_at"), int | float):
            ax.axvline(
                float(breach["faults_reverted_at"]) - t0,
                color=_REVERT,
                lw=1,
                ls="-.",
                label="faults reverted",
            )
    _anomalies(ax, ordered, t0)
    values = [y for _, y in ok] + ([objective] if isinstance(objective, int | float) else [])
    values += band
    if (
        values and min(values) >= 0
    ):  # rates, latencies, ratios: keep zero in view, just above the axis
        ax.set_ylim(bottom=-0.04 * max(values) if max(values) > 0 else -0.1)
    title = name + (f"  [{spec.get('source')}]" if spec and spec.get("source") else "")
    if metric.get("classification"):
        title += f"  · canary {metric['classification']}"
    ax.set_title(title, fontsize=9, loc="left")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", framealpha=0.8, ncols=3)


def _clean(svg: str, prefix: str) -> str:
    """Inline-ready SVG: no XML declaration, DOCTYPE, metadata or namespace URLs (the HTML parser
    knows ``svg`` and ``xlink:href``); every id prefixed so several plots can share one document."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}\1"', svg).strip()


def timeline_svg(
    journal: dict[str, Any], facts: RunFacts, steps: list[Step], salt: str = ""
) -> str | None:
    """The run's timeline as SVG text (None when there is nothing to draw)."""
    import matplotlib
    from matplotlib.figure import Figure

    section = as_dict(journal.get("chaosguard"))
    readings = _readings(section)
    specs = {str(g.get("name")): g for g in facts.guards}
    names = list(dict.fromkeys([*specs, *readings]))
    names = [n for n in names if readings.get(n)]
    if not names and not any(s.start is not None for s in steps):
        return None
    t0, first, t1 = _bounds(facts, steps, readings)
    n_steps = min(sum(1 for s in steps if s.start is not None), 40)
    heights = ([max(1.0, 0.22 * n_steps + 0.5)] if n_steps else []) + [2.4] * len(names)
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": f"chaosguard-{salt}",
            "font.family": "sans-serif",
            "axes.titleweight": "bold",
            "text.parse_math": False,
        }
    ):  # a '$' in a step name is just a '$'
        fig = Figure(figsize=(11, sum(heights) + 0.6), layout="constrained")
        axes = fig.subplots(len(heights), 1, sharex=True, height_ratios=heights, squeeze=False)[
            :, 0
        ]
        if n_steps:
            _steps_panel(axes[0], steps, t0, t1)
            _shade(axes[0], facts.windows, t0, t1, label=False)
        for ax, name in zip(axes[1 if n_steps else 0 :], names, strict=True):
            _guard_panel(ax, name, readings[name], specs.get(name), facts, t0, t1)
        axes[-1].set_xlabel("seconds since the run started")
        margin = 0.02 * (t1 - first)
        axes[-1].set_xlim(first - t0 - margin, t1 - t0 + margin)
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
    return _clean(buf.getvalue(), re.sub(r"[^A-Za-z0-9-]", "-", f"tl-{salt}-"))
