"""Canary analysis of a run, Kayenta-style: each guard's fault window against its baseline window.

Per metric (:func:`judge`):

1. **Clean.** NaN, ±inf and unreadable readings (``None``) are *removed and counted*
   (``nan_removed``), never replaced by 0 (Kayenta's ``replace`` let real errors pass against a
   zero baseline, kayenta#377).
2. **Thin.** Readings of overlapping windows (an HTTP sampler's ``window_s`` read every
   ``interval_s``, a Prometheus ``rate(...[1m])``) are autocorrelated; a rank test on them is
   optimistic. Every ``thin``-th reading is kept (``thin = ceil(window / interval)``,
   :func:`thinning_step`) and ``n`` is the effective count after thinning.
3. **Enough?** Either side empty → ``NoData``. Fewer than ``min_points`` on a side, or so few that
   even a complete separation could not reach the confidence (the smallest two-sided Mann-Whitney
   p is ``2 / C(n_b + n_e, n_b)``: 0.0079 with 5 vs 5, 0.029 with 4 vs 4) → ``Inconclusive``,
   with the numbers needed and got. Fewer than 50 a side is flagged ``low_confidence``
   (Kayenta's rule of thumb).
4. **Test.** Two-sided Mann-Whitney U (:func:`mann_whitney_u`: exact distribution without ties
   for small samples, else the normal approximation with tie correction and continuity
   correction — the same figures as ``scipy.stats.mannwhitneyu``).
5. **Effect.** ``effect`` = (mean_e − mean_b) / |mean_b|, Kayenta's mean ratio minus one, so it
   works for zero-inflated error ratios where the medians are both 0. A **zero baseline** makes
   the relative effect unbounded: any significant increase over it is material (reported as
   ``effect = None`` with ``effect_unbounded``). The Hodges-Lehmann shift (median of all pairwise
   differences experiment − baseline) is reported beside it, in the metric's own unit.
6. **Classify.** ``High`` when p < 1 − confidence and effect ≥ ``effect_tolerance``; ``Low`` the
   mirror; else ``Pass``. ``failed`` is True for ``High`` on an ``up`` metric (latency, errors),
   ``Low`` on a ``down`` metric (throughput, availability), either on ``both``.

Per run (:func:`analyse_run`), Kayenta's group score with one group, equal weights by default:
``score = 100 × Σ w·s / Σ w`` with s = 1 for a metric that passed (a significant change in the
harmless direction passes too), 0.5 for ``Inconclusive``, 0 for a failing metric and for ``NoData``
(no data is never success); when ``NoData`` holds half the weight or more the score is 0. The
verdict: ``fail`` when a metric failed, else ``nodata`` when half the weight has no data, else
``inconclusive`` when a metric could not be judged, else ``pass``.

Plain Python (``statistics``), no numpy: every guarded run is judged at its end, and a run that
declares no anomaly guard must not pay numpy's import; scipy never (a test dependency only).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from chaosguard.slo.anomaly.mannwhitney import mann_whitney_u, min_points_for

__all__ = [
    "CanaryRun",
    "MetricVerdict",
    "Side",
    "analyse_run",
    "judge",
    "direction_of",
    "mann_whitney_u",
    "min_points_for",
    "thinning_step",
]

Direction = Literal["up", "down", "both"]
Classification = Literal["High", "Low", "Pass", "NoData", "Inconclusive"]
RunVerdict = Literal["pass", "fail", "inconclusive", "nodata"]

#: Kayenta's rule of thumb: fewer points than this per side is low confidence (orca#2299).
LOW_CONFIDENCE_N = 50
#: Hodges-Lehmann over at most this many pairs (a strided subsample beyond).
HL_MAX_PAIRS = 40_000


@dataclass(frozen=True)
class Side:
    """One window of one metric: counts and summary (summary fields None when empty)."""

    n_raw: int  # readings in the window, unreadable ones included
    nan_removed: int  # NaN, ±inf and unreadable readings removed (never turned into 0)
    n: int  # readings tested: after removal and thinning
    mean: float | None = None
    median: float | None = None
    p05: float | None = None
    p95: float | None = None


@dataclass(frozen=True)
class MetricVerdict:
    """The judgement of one metric (see the module docstring for every field's rule)."""

    classification: Classification
    failed: bool
    direction: Direction
    baseline: Side
    experiment: Side
    p_value: float | None = None
    effect: float | None = None  # (mean_e - mean_b) / |mean_b|; None when unbounded or untested
    effect_unbounded: bool = False  # zero baseline mean, experiment mean differs
    hl_shift: float | None = None  # Hodges-Lehmann shift, experiment - baseline, in metric units
    thin: int = 1
    confidence: float = 0.98
    effect_tolerance: float = 0.1
    min_points: int = 0  # points needed per side for this pair of sizes
    low_confidence: bool = False
    reason: str = ""
    guard: str = ""
    weight: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dict for the journal (no NaN or inf)."""
        return asdict(self)


@dataclass(frozen=True)
class CanaryRun:
    """Per-guard verdicts, the 0–100 score (None: nothing was put to the test) and the verdict."""

    score: float | None
    verdict: RunVerdict
    metrics: list[MetricVerdict] = field(default_factory=list)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The journal's ``chaosguard.canary`` value."""
        return {
            "score": None if self.score is None else round(self.score, 1),
            "verdict": self.verdict,
            "reason": self.reason,
            "metrics": [m.as_dict() for m in self.metrics],
        }


# -- one metric --
def _clean(values: Sequence[float | None], thin: int) -> tuple[list[float], int]:
    kept = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return kept[::thin], len(values) - len(kept)


def _side(raw: Sequence[float | None], kept: list[float], removed: int) -> Side:
    if not kept:
        return Side(len(raw), removed, 0)
    if len(kept) == 1:
        p05 = p50 = p95 = kept[0]
    else:  # "inclusive" is numpy's default linear interpolation between order statistics
        cuts = statistics.quantiles(kept, n=20, method="inclusive")
        p05, p50, p95 = cuts[0], cuts[9], cuts[18]
    return Side(len(raw), removed, len(kept), math.fsum(kept) / len(kept), p50, p05, p95)


def _hodges_lehmann(x: list[float], y: list[float]) -> float:
    stride = max(1, math.ceil(math.sqrt(len(x) * len(y) / HL_MAX_PAIRS)))
    return statistics.median(a - b for a in x[::stride] for b in y[::stride])


def judge(
    baseline: Sequence[float | None],
    experiment: Sequence[float | None],
    *,
    direction: Direction = "up",
    confidence: float = 0.98,
    effect_tolerance: float = 0.1,
    min_points: int = 5,
    thin: int = 1,
) -> MetricVerdict:
    """Judge ``experiment`` (the fault window) against ``baseline`` (see the module docstring).

    ``min_points`` is a floor: the points actually needed per side are at least what lets
    ``confidence`` be reached at all (:func:`min_points_for`). ``thin`` ≥ 1 keeps every
    ``thin``-th finite reading of each side.
    """
    if direction not in ("up", "down", "both"):
        raise ValueError(f"direction must be up, down or both, not {direction!r}")
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0.5 and 1, not {confidence}")
    thin = max(1, int(thin))
    base, b_removed = _clean(baseline, thin)
    exp, e_removed = _clean(experiment, thin)
    b_side, e_side = _side(baseline, base, b_removed), _side(experiment, exp, e_removed)
    needed = min_points_for(confidence, min_points)
    verdict = MetricVerdict(
        "NoData",
        False,
        direction=direction,
        baseline=b_side,
        experiment=e_side,
        thin=thin,
        confidence=confidence,
        effect_tolerance=effect_tolerance,
        min_points=needed,
        low_confidence=min(len(base), len(exp)) < LOW_CONFIDENCE_N,
    )
    if not base or not exp:
        empty = " and ".join(w for w, s in (("baseline", base), ("fault window", exp)) if not s)
        return replace(verdict, reason=f"no finite reading in the {empty}")
    if len(base) < needed or len(exp) < needed:
        return replace(
            verdict,
            classification="Inconclusive",
            reason=(
                f"too few readings: {needed} needed per side at {confidence:.0%} confidence, "
                f"got {len(base)} baseline and {len(exp)} in the fault window"
                + (f" (after thinning 1 in {thin})" if thin > 1 else "")
            ),
        )
    _, p = mann_whitney_u(exp, base)
    assert b_side.mean is not None and e_side.mean is not None
    diff = e_side.mean - b_side.mean
    unbounded = b_side.mean == 0.0 and diff != 0.0
    effect = None if unbounded else (diff / abs(b_side.mean) if b_side.mean else 0.0)
    material_up = diff > 0 and (unbounded or (effect or 0.0) >= effect_tolerance)
    material_down = diff < 0 and (unbounded or (effect or 0.0) <= -effect_tolerance)
    significant = p < 1.0 - confidence
    cls: Classification = "Pass"
    if significant and material_up:
        cls = "High"
    elif significant and material_down:
        cls = "Low"
    shown = "unbounded: zero baseline" if unbounded else f"{effect:+.1%}"
    return replace(
        verdict,
        classification=cls,
        failed=(cls == "High" and direction != "down") or (cls == "Low" and direction != "up"),
        p_value=p,
        effect=effect,
        effect_unbounded=unbounded,
        hl_shift=_hodges_lehmann(exp, base),
        reason=f"p = {p:.3g}, mean {b_side.mean:.4g} → {e_side.mean:.4g} ({shown})",
    )


# -- one run --
_RANGE = re.compile(r"\[(\d+(?:\.\d+)?)(ms|s|m|h|d)(?::[^\]]*)?\]")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def thinning_step(guard: Mapping[str, Any], interval_s: float) -> int:
    """How many consecutive readings of ``guard`` share data: ``ceil(window / interval)``.

    The window is an HTTP guard's ``window_s``, or the widest range selector of a Prometheus query
    (``rate(x[1m])`` → 60 s); a python guard's readings are taken as independent (1). An
    ``anomaly.thin`` the guard declares wins.
    """
    anomaly = guard.get("anomaly")
    declared = anomaly.get("thin") if isinstance(anomaly, Mapping) else None
    if isinstance(declared, int) and declared >= 1:
        return declared
    if interval_s <= 0:
        return 1
    window = 0.0
    if guard.get("source") == "http":
        window = float(guard.get("window_s") or 0.0)
    elif guard.get("source") == "prometheus":
        ranges = _RANGE.findall(str(guard.get("query") or ""))
        window = max((float(v) * _UNIT_S[u] for v, u in ranges), default=0.0)
    return max(1, math.ceil(window / interval_s - 1e-9))


def direction_of(guard: Mapping[str, Any]) -> Direction:
    """``anomaly.direction`` when the guard declares one, else ``up`` for ``max``, ``down`` for
    ``min``."""
    anomaly = guard.get("anomaly")
    declared = anomaly.get("direction") if isinstance(anomaly, Mapping) else None
    if declared in ("up", "down", "both"):
        return declared  # type: ignore[no-any-return]
    return "down" if guard.get("min") is not None and guard.get("max") is None else "up"


def _score(metrics: list[MetricVerdict]) -> tuple[float, RunVerdict]:
    total = sum(m.weight for m in metrics)
    nodata = sum(m.weight for m in metrics if m.classification == "NoData")
    if nodata * 2 >= total:
        return 0.0, "nodata" if not any(m.failed for m in metrics) else "fail"
    earned = sum(
        m.weight * (0.5 if m.classification == "Inconclusive" else 0.0 if m.failed else 1.0)
        for m in metrics
        if m.classification != "NoData"
    )
    verdict: RunVerdict = "pass"
    if any(m.failed for m in metrics):
        verdict = "fail"
    elif any(m.classification in ("Inconclusive", "NoData") for m in metrics):
        verdict = "inconclusive"
    return 100.0 * earned / total, verdict


def analyse_run(
    series: Sequence[tuple[Mapping[str, Any], Sequence[float | None], Sequence[float | None]]],
    *,
    interval_s: float,
    confidence: float = 0.98,
    effect_tolerance: float = 0.1,
    min_points: int = 5,
    fault_window: bool = True,
) -> CanaryRun:
    """Judge every guard of a run: ``series`` holds ``(guard spec, baseline values, fault-window
    values)`` (values ``None`` where unreadable). ``fault_window`` False: no method action ran,
    nothing was put to the test (score None, verdict ``nodata``)."""
    metrics = []
    for guard, base, exp in series:
        verdict = judge(
            base,
            exp,
            direction=direction_of(guard),
            confidence=confidence,
            effect_tolerance=effect_tolerance,
            min_points=min_points,
            thin=thinning_step(guard, interval_s),
        )
        weight = guard.get("weight")
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
            weight = 1.0
        metrics.append(replace(verdict, guard=str(guard.get("name")), weight=float(weight)))
    if not fault_window:
        return CanaryRun(None, "nodata", metrics, "no method action ran: nothing to compare")
    if not metrics:
        return CanaryRun(0.0, "nodata", [], "no guard metric to judge (no data is no success)")
    score, overall = _score(metrics)
    failing = [m.guard for m in metrics if m.failed]
    counts = {c: sum(m.classification == c for m in metrics) for c in ("Inconclusive", "NoData")}
    passed = len(metrics) - len(failing) - sum(counts.values())
    reason = (
        f"{', '.join(failing)} changed under fault"
        if failing
        else f"{passed} of {len(metrics)} metrics like the baseline"
        + "".join(f", {n} {c}" for c, n in counts.items() if n)
    )
    return CanaryRun(score, overall, metrics, reason)
