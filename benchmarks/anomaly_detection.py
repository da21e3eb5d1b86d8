"""False-alarm rate and detection of the anomaly detectors, the plain threshold and Mann-Whitney.

``python benchmarks/anomaly_detection.py [--quick] [--runs N] [--step-runs N] [--base N]
[--effective auto|none|N] [--seed S]``

Every run is a guard's life: ``BASE`` = 60 baseline readings (the spec's default
``baseline_readings``: one minute of steady state at a 1 s interval), then ``RUN`` = 300 checks
(the default ``checks_per_run`` at a 1 s interval), spec defaults (``alpha`` 0.01 per run,
``confirm`` 2, ``min_change`` 0.1, direction up). Null families (no change):

* ``white``: 40 + N(0, 4²) ms, independent readings;
* ``ar1``: the same with lag-1 correlation 0.6 (the source claims independence: thinning has to
  come from the baseline's own autocorrelation);
* ``heavy``: 40 + 4·t₃/√3 (Student t, 3 degrees of freedom, sd 4);
* ``seasonal``: white noise plus a slow sine (amplitude 4 = 10 %, period 3,600 checks = 1 h,
  random phase): the level drifts by up to 2.3 ms (0.6 sd) during a run;
* ``zero-inflated``: a Prometheus-style error ratio over 60 s windows read every second
  (100 requests/s, 0.005 % of requests fail: ~3/4 of readings are 0; the source says ``thin`` =
  60), with ``min_abs_change: 0.001`` as docs/anomaly.md recommends for ratios (a zero baseline
  otherwise flags the first failed request);
* ``demo``: real p95 readings of the demo service through the real HTTP sampler
  (``benchmarks/data/demo_readings.json``, see ``benchmarks/_anomaly_record.py``), resampled by a
  circular block bootstrap (blocks of 30 readings) into runs; ``thin`` = 5 (5 s window, 1 s checks).
  Only the file's ``null_segment`` is used: the recording's burst of host contention (p95 ×7 for
  two minutes, a real change) is not a null.

Step families: the same series multiplied by 1.2, 1.5 and 2 from a random check in [10, 200)
(latency families), and the error ratio plus 0.5 % (zero-inflated: per-request failure
probability +0.005). Judges: each detector, the ensemble (the spec's default members and ``k``),
the plain threshold guard (SLO
500 ms / 1 %, first violation breaches) and a Kayenta-style Mann-Whitney judge of the whole fault
window against the baseline, after the fact (``chaosguard.slo.anomaly.canary.judge``, 98 %
confidence, 10 % effect tolerance, thinned like the source): it has no delay, only a verdict.

``--effective``: how the latency guards' baselines are learned, as the guard's own baseline
phase decides it (:func:`~chaosguard.slo.anomaly.worth.next_step`), readings rounded up to 10 to
bound the calibrations. ``auto`` (the spec's default, and this script's): on after ``BASE`` until
worth 30 independent readings, when that looks reachable within 10 × ``BASE``; ``N``
(``baseline_effective: N``): until worth N, refused when 10 × ``BASE`` are not; ``none``: ``BASE``
readings. Unless ``none``, the series have 10 × ``BASE`` readings before each run. The baselines'
lengths and the runs the guard would refuse are printed.

False-alarm rate: share of null runs with a breach, with its 95 % Wilson interval. Detection:
share of step runs breached at or after the step (runs that breached before it count as missed),
``within5``: at most 5 intervals after it; delay in guard intervals (0 = the first check at the
new level). Headline figures: false-alarm rate on the WORST null family; detection pooled over the
latency families. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaosguard.slo.anomaly import AnomalySpec, new_detector
from chaosguard.slo.anomaly.worth import next_step

BASE, RUN, ALPHA = 60, 300, 0.01
EFFECTIVE: int | Literal["auto"] | None = "auto"  # --effective: the guards' baseline_effective
BASE_ZI = 600  # the zero-inflated ratio: a baseline_range_s of 10 min, as Prometheus would give
DETECTORS = ["zscore", "moving-average", "iqr", "ewma", "holt", "shift", "ensemble"]
JUDGES = [*DETECTORS, "threshold", "mannwhitney"]
LATENCY = ["white", "ar1", "heavy", "seasonal", "demo"]
NULLS = [*LATENCY, "zero-inflated"]
STEPS = [1.2, 1.5, 2.0]
DATA = Path(__file__).resolve().parent / "data" / "demo_readings.json"
THIN = {"zero-inflated": 60, "demo": 5}
P0 = 0.00005  # per-request failure probability of the zero-inflated null
SLO = {"zero-inflated": 0.01}  # else 500 ms


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k/n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, mid - half), min(1.0, mid + half))


def base_len(family: str) -> int:
    """Readings before the run in ``family``'s series: its baseline, or unless ``--effective none``
    the most a baseline may take (10 × BASE, the spec's default ``baseline_max_readings``)."""
    if family == "zero-inflated":
        return BASE_ZI
    return BASE if EFFECTIVE is None else 10 * BASE


def learned_len(family: str, before: np.ndarray, thin: int) -> int:
    """How many of the readings ``before`` the run the baseline learns, as the guard's baseline
    phase decides (:func:`~chaosguard.slo.anomaly.worth.next_step`), rounded up to 10 to bound the
    calibrations (at most 9 more than the guard); 0 when the guard refuses the run. The
    zero-inflated ratio learns from a range query: all of them."""
    if EFFECTIVE is None or family == "zero-inflated":
        return len(before)
    spec = AnomalySpec(baseline_effective=EFFECTIVE, baseline_readings=BASE)
    for n in range(BASE, len(before) + 1):
        step, _ = next_step(before[len(before) - n :], spec, thin)
        if step != "learn":
            return 0 if step == "refuse" else min(len(before), -(-n // 10) * 10)
    return len(before)


def series(family: str, rng: np.random.Generator, runs: int, demo: np.ndarray) -> np.ndarray:
    """``runs`` null series of BASE + RUN readings of ``family``."""
    n = base_len(family) + RUN
    if family == "white":
        return 40 + 4 * rng.standard_normal((runs, n))
    if family == "ar1":
        rho, e = 0.6, np.empty((runs, n))
        e[:, 0] = rng.standard_normal(runs)
        shocks = rng.standard_normal((runs, n)) * math.sqrt(1 - rho * rho)
        for t in range(1, n):
            e[:, t] = rho * e[:, t - 1] + shocks[:, t]
        return 40 + 4 * e
    if family == "heavy":
        return 40 + 4 * rng.standard_t(3, (runs, n)) / math.sqrt(3)
    if family == "seasonal":
        phase = rng.uniform(0, 2 * math.pi, (runs, 1))
        t = np.arange(n)[None, :]
        return 40 + 4 * rng.standard_normal((runs, n)) + 4 * np.sin(2 * math.pi * t / 3600 + phase)
    if family == "zero-inflated":
        return error_ratios(rng, runs, n, np.full((runs, n + 59), P0))
    if family == "demo":
        blocks, out = 30, np.empty((runs, n))
        starts = rng.integers(0, len(demo), (runs, math.ceil(n / blocks)))
        idx = (starts[:, :, None] + np.arange(blocks)[None, None, :]) % len(demo)
        out[:] = demo[idx.reshape(runs, -1)[:, :n]]
        return out
    raise ValueError(family)


def error_ratios(rng: np.random.Generator, runs: int, n: int, p: np.ndarray) -> np.ndarray:
    """Error ratio of 60 s windows read every 1 s at 100 requests/s; ``p``: per-second failure
    probability (shape runs × n+59, the 59 extra seconds fill the first window)."""
    fails = rng.binomial(100, p)
    csum = np.cumsum(fails, axis=1)
    window = csum[:, 59:] - np.concatenate([np.zeros((runs, 1)), csum[:, :-60]], axis=1)
    return window / 6000.0


def stepped(family: str, x: np.ndarray, rng: np.random.Generator, factor: float) -> tuple:
    """The series with a step from a random check; returns (series, step index in the run)."""
    runs = len(x)
    at = rng.integers(10, 200, runs)
    out = x.copy()
    nb = base_len(family)
    cols = np.arange(nb + RUN)[None, :]
    after = cols >= (nb + at)[:, None]
    if family == "zero-inflated":
        p = np.full((runs, nb + RUN + 59), P0)
        p[:, 59:][after] += 0.005  # the second a request is made in; windows follow
        return error_ratios(rng, runs, nb + RUN, p), at
    out[after] *= factor
    return out, at


def first_breach(confirmed: np.ndarray) -> int:
    hits = np.flatnonzero(confirmed)
    return int(hits[0]) if hits.size else -1


def judge_runs(family: str, x: np.ndarray, at: np.ndarray | None) -> dict[str, np.ndarray]:
    """First breach index per run (-1: none) per judge; Mann-Whitney: 0 if failed else -1."""
    from chaosguard.slo.anomaly.canary import judge

    thin = THIN.get(family, 1)
    out = {j: np.full(len(x), -1) for j in JUDGES}
    floor = 0.001 if family == "zero-inflated" else 0.0
    nb = base_len(family)
    detectors = {
        d: new_detector(
            AnomalySpec(
                detector=d,
                min_abs_change=floor,
                baseline_readings=min(nb, BASE_ZI if family == "zero-inflated" else BASE),
            ),
            interval_s=1.0,
            thin=thin,
        )
        for d in DETECTORS
    }
    slo = SLO.get(family, 500.0)
    out["refused"] = np.zeros(len(x), dtype=bool)
    out["learned"] = np.zeros(len(x), dtype=int)
    for i, row in enumerate(x):
        n = learned_len(family, row[:nb], thin)
        out["learned"][i] = n
        if n == 0:  # the guard refuses the run: nothing judged, nothing detected
            out["refused"][i] = True
            continue
        base, run = row[nb - n : nb], row[nb:]
        for name, det in detectors.items():
            det.fit(base)
            out[name][i] = first_breach(det.scan(run)[2])  # type: ignore[attr-defined]
        out["threshold"][i] = first_breach(run > slo)
        window = run if at is None else run[at[i] :]
        verdict = judge(list(base), list(window), direction="up", thin=thin)
        out["mannwhitney"][i] = (0 if at is None else at[i]) if verdict.failed else -1
    return out


def main() -> None:
    global BASE, EFFECTIVE
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 null and 60 step runs")
    parser.add_argument("--runs", type=int, default=1000, help="null runs per family")
    parser.add_argument("--step-runs", type=int, default=200, help="runs per family and step")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--base", type=int, default=60, help="baseline readings (latency)")
    parser.add_argument(
        "--effective",
        default="auto",
        help="baseline_effective of the latency guards: auto (default), none, or N independent "
        "readings (at most 10 x --base readings)",
    )
    args = parser.parse_args()
    BASE = args.base
    given = args.effective.lower()
    EFFECTIVE = None if given == "none" else given if given == "auto" else int(given)
    runs, step_runs = (200, 60) if args.quick else (args.runs, args.step_runs)
    rng = np.random.default_rng(args.seed)
    recorded = json.loads(DATA.read_text())
    lo, hi = recorded.get("null_segment", [0, len(recorded["p95_ms"])])
    demo = np.asarray(recorded["p95_ms"][lo:hi], dtype=float)
    started = time.monotonic()
    print(
        f"# load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {runs} null runs/family, "
        f"{step_runs} step runs/family, baseline {BASE} readings"
        + ("" if EFFECTIVE is None else f", baseline_effective {EFFECTIVE}")
    )
    learned: dict[str, list[np.ndarray]] = {}
    result: dict[str, Any] = {}
    fpr: dict[str, dict[str, tuple[int, int]]] = {j: {} for j in JUDGES}
    print(f"{'false alarms':14}" + "".join(f"{f:>15}" for f in NULLS))
    for family in NULLS:
        hits = judge_runs(family, series(family, rng, runs, demo), None)
        learned.setdefault(family, []).append(hits["learned"])
        for j in JUDGES:
            fpr[j][family] = (int((hits[j] >= 0).sum()), runs)
    for j in JUDGES:
        cells = []
        for family in NULLS:
            k, n = fpr[j][family]
            cells.append(f"{k / n:7.3f}≤{wilson(k, n)[1]:.3f}")
        print(f"{j:14}" + "".join(f"{c:>15}" for c in cells))
        worst = max(NULLS, key=lambda f: fpr[j][f][0])
        k, n = fpr[j][worst]
        result[f"fpr_{j}"] = round(k / n, 4)
        result[f"fpr_ci_high_{j}"] = round(wilson(k, n)[1], 4)
        result[f"fpr_worst_family_{j}"] = worst
    detect: dict[str, dict[str, list[np.ndarray]]] = {}
    cases = [(f, s) for s in STEPS for f in LATENCY] + [("zero-inflated", 0.005)]
    for family, factor in cases:
        x = series(family, rng, step_runs, demo)
        x, at = stepped(family, x, rng, factor)
        hits = judge_runs(family, x, at)
        learned.setdefault(family, []).append(hits["learned"])
        key = "err0_5pct" if family == "zero-inflated" else f"x{factor:g}".replace(".", "_")
        for j in JUDGES:
            delay = np.where(hits[j] >= at, hits[j] - at, -1)
            detect.setdefault(key, {}).setdefault(j, []).append(delay)
            per = result.setdefault("families", {}).setdefault(f"{family}:{key}", {})
            per[j] = round(float((delay >= 0).mean()), 3)
            within = result.setdefault("families_within5", {}).setdefault(f"{family}:{key}", {})
            within[j] = round(float(((delay >= 0) & (delay <= 5)).mean()), 3)
    print(f"\n{'detected (≤5)':14}" + "".join(f"{k:>18}" for k in detect))
    for j in JUDGES:
        cells = []
        for key, per_judge in detect.items():
            d = np.concatenate(per_judge[j])
            ok = d >= 0
            rate, within = float(ok.mean()), float(((d >= 0) & (d <= 5)).mean())
            p50 = float(np.median(d[ok])) if ok.any() and j != "mannwhitney" else None
            result[f"detect_rate_{key}_{j}"] = round(rate, 4)
            result[f"detect_within5_{key}_{j}"] = round(within, 4)
            result[f"delay_p50_intervals_{key}_{j}"] = p50
            cells.append(f"{rate:6.3f} ({within:.3f}) d{'-' if p50 is None else f'{p50:g}'}")
        print(f"{j:14}" + "".join(f"{c:>18}" for c in cells))
    if EFFECTIVE is not None:
        print("\nbaseline readings learned (median / p90), runs refused (worth too little):")
        for family, parts in learned.items():
            n = np.concatenate(parts)
            ok = n[n > 0]
            med = float(np.median(ok)) if ok.size else None
            p90 = float(np.percentile(ok, 90)) if ok.size else None
            result[f"baseline_len_median_{family}"] = med
            result[f"baseline_len_p90_{family}"] = p90
            result[f"refused_{family}"] = round(float((n == 0).mean()), 4)
            print(f"  {family:14} {med} / {p90}, refused {(n == 0).mean():.3f}")
        result["baseline_effective"] = EFFECTIVE
    result["null_runs_per_family"] = runs
    result["step_runs_per_family"] = step_runs
    result["alpha"] = ALPHA
    result["baseline_readings"] = BASE
    result["seconds"] = round(time.monotonic() - started, 1)
    result["load_1m"] = round(os.getloadavg()[0], 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
