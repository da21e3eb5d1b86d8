"""The ``baseline`` phase of a guarded run: anomaly guards learn what normal looks like.

Before the steady-state hypothesis, and so before any action, every guard is read at the guard
interval (the watcher's :meth:`~chaosguard.guard.watcher.Watcher.tick`, so the readings are in the
journal like any other) until each anomaly guard has learned ``baseline_readings`` readable,
*settled* readings (an HTTP sampler's window must be full: a fresh sampler's first windows are
never learned) and then, by default (``baseline_effective: auto``), until those readings are
worth 30 independent ones when that fits within ``baseline_max_readings``
(:func:`~chaosguard.slo.anomaly.worth.next_step`). A Prometheus guard with ``baseline_range_s``
learns from one range query instead.

Fail closed, with the number needed and had: an unreadable or non-finite reading of an anomaly
guard while it learns, too few readings within the bounded wait (warm-up, then 1.5 × the
readings it needs at the interval, plus 5 s), a baseline still worth less than a required
``baseline_effective`` at its most readings, a range query that fails or gives too few points (or
too little worth for a required ``baseline_effective``), a baseline the detector rejects, or any
guard violated meanwhile (nothing was injected: a baseline is learned from a healthy system only)
— each refuses the run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from chaosguard.errors import Refused
from chaosguard.guard.watcher import Watcher
from chaosguard.slo.anomaly.rules import DEFAULT_EFFECTIVE
from chaosguard.slo.base import SourceUnreadable
from chaosguard.slo.check import Reading, SloCheck
from chaosguard.telemetry import emit

if TYPE_CHECKING:
    from chaosguard.slo.anomaly.worth import Worth
    from chaosguard.slo.spec import HttpGuard

__all__ = ["WEAK_EFFECTIVE", "anomaly_reason", "learn_baselines"]

#: Most points a baseline range query asks for (Prometheus refuses more than 11,000).
MAX_RANGE_POINTS = 10_000
#: A baseline worth fewer independent readings than this (unless ``baseline_effective`` required
#: a number) is reported as weak: its band is wide (docs/anomaly.md, *Baseline length*).
WEAK_EFFECTIVE = DEFAULT_EFFECTIVE

logger = logging.getLogger("chaostoolkit")


def learn_baselines(
    checks: list[SloCheck],
    watcher: Watcher,
    interval_s: float,
    refuse_violated: Callable[[list[Reading], str], None],
    into: dict[str, dict[str, Any]],
) -> None:
    """Fit the detector of every check that has one; record each baseline in ``into`` (by guard
    name) as soon as it is fitted. ``refuse_violated(readings, when)`` raises ``Refused`` when a
    reading violates its guard. Raises :class:`~chaosguard.errors.Refused`, naming the guard."""
    live = []
    for check in checks:
        if check.detector is None or check.spec.anomaly is None:
            continue
        if check.spec.anomaly.baseline_range_s is not None:
            _fit_from_range(check, check.spec.anomaly.baseline_range_s, interval_s, into)
        else:
            live.append(check)
    if live:
        _learn_live(live, watcher, interval_s, refuse_violated, into)


def _need(check: SloCheck) -> int:
    assert check.spec.anomaly is not None
    return check.spec.anomaly.baseline_readings


def _most(check: SloCheck) -> int:
    assert check.spec.anomaly is not None
    return check.spec.anomaly.max_baseline_readings


def _enough(check: SloCheck) -> bool:
    """Whether ``check`` has learned enough (:func:`~chaosguard.slo.anomaly.worth.next_step`);
    refuses when its most readings are still worth less than a required ``baseline_effective``."""
    from chaosguard.slo.anomaly.worth import next_step

    assert check.spec.anomaly is not None and check.detector is not None
    step, worth = next_step(check.learned, check.spec.anomaly, check.detector.source_thin)
    if step != "refuse":
        return step == "fit"
    assert worth is not None
    raise Refused(
        f"guard '{check.name}': the baseline's {worth.describe()}; it needs "
        f"{check.spec.anomaly.baseline_effective} (baseline_effective): raise "
        f"baseline_max_readings ({_most(check)}) or learn from a range query"
    )


def _learn_live(
    checks: list[SloCheck],
    watcher: Watcher,
    interval_s: float,
    refuse_violated: Callable[[list[Reading], str], None],
    into: dict[str, dict[str, Any]],
) -> None:
    """Tick every guard at the interval until each of ``checks`` has learned enough. Readings
    that stop coming refuse the run: within 1.5 × ``baseline_readings`` intervals (+ warm-up,
    + 5 s) for the first ones, 1.5 × the most it may learn for the rest."""
    windows = [cast("HttpGuard", c.spec).window_s for c in checks if c.spec.source == "http"]
    warmup = max(windows, default=0.0)
    started, clock = time.time(), time.monotonic()
    first, last = (
        clock + warmup + max(count(c) for c in checks) * interval_s * 1.5 + 5.0
        for count in (_need, _most)
    )
    for check in checks:
        check.start_learning()
    ticks = 0
    while True:
        readings = watcher.tick()
        ticks += 1
        for check in checks:
            if check.learn_errors:
                raise Refused(
                    f"guard '{check.name}': unreadable during the baseline "
                    f"({check.learn_errors[0]}); it needs {_need(check)} readable readings, "
                    f"had {len(check.learned)}"
                )
        refuse_violated(readings, "while the baseline was learned, before any fault")
        short = [c for c in checks if not _enough(c)]
        if not short:
            break
        early = [c for c in short if len(c.learned) < _need(c)]
        if time.monotonic() > (first if early else last):
            c = (early or short)[0]
            needs = f"needs {_need(c)}" if early else f"may learn up to {_most(c)}"
            raise Refused(
                f"guard '{c.name}': the baseline {needs} readings, had {len(c.learned)} "
                f"after {time.time() - started:.0f} s"
            )
        time.sleep(max(0.0, clock + ticks * interval_s - time.monotonic()))
    for check in checks:
        _fit(check, None, "readings", started, into)


def _fit_from_range(
    check: SloCheck, range_s: float, interval_s: float, into: dict[str, dict[str, Any]]
) -> None:
    """Learn from the source's history: a range query over the last ``range_s`` seconds, one
    point per guard interval (coarser when that would exceed :data:`MAX_RANGE_POINTS`)."""
    history = getattr(check.source, "history", None)
    if not callable(history):
        raise Refused(f"guard '{check.name}': its source cannot be queried over a time range")
    need = _need(check)
    step = max(interval_s, range_s / MAX_RANGE_POINTS)
    started = time.time() - range_s
    try:
        values = [float(v) for v in history(range_s, step, max(5.0, interval_s))]
    except SourceUnreadable as exc:
        raise Refused(f"guard '{check.name}': the baseline range query failed: {exc}") from None
    if len(values) < need:
        raise Refused(
            f"guard '{check.name}': the baseline needs {need} readings, the range query over "
            f"the last {range_s:g} s gave {len(values)}"
        )
    spec = check.spec.anomaly
    assert spec is not None
    worth = check.baseline_worth(values)
    target = spec.effective_target
    if spec.effective_required and worth is not None and target and worth.n_eff < target:
        wider = range_s * target / max(worth.n_eff, 1.0)
        raise Refused(
            f"guard '{check.name}': the range query's {worth.describe()}; it needs {target} "
            f"(baseline_effective): widen baseline_range_s to about {wider:.0f} s"
        )
    _fit(check, values, "range-query", started, into, range_s)


def _fit(
    check: SloCheck,
    values: list[float] | None,
    learned_from: str,
    started: float,
    into: dict[str, dict[str, Any]],
    range_s: float | None = None,
) -> None:
    """Fit ``check``'s detector (a rejection refuses, naming the guard), record it, emit it."""
    worth = check.baseline_worth(values)  # as the baseline phase judged it, before the fit
    try:
        baseline = check.fit_baseline(values)
    except Refused as exc:  # BaselineError: too few, or not finite
        raise Refused(f"guard '{check.name}': {exc}") from None
    assert check.spec.anomaly is not None
    into[check.name] = {
        **baseline.as_dict(),
        "baseline_effective": check.spec.anomaly.baseline_effective,
        "short_of_effective": _short(check, worth),
        "learned_from": learned_from,
        "started_at": started,
        "ended_at": time.time(),
    }
    if worth is not None:
        _warn_if_weak(check, worth, range_s)
    emit(
        "baseline",
        guard=check.name,
        readings=baseline.n,
        n_eff=round(baseline.n_eff, 1),
        mean=baseline.mean,
        sd=baseline.sd,
        detector=baseline.detector,
    )


def _short(check: SloCheck, worth: Worth | None) -> bool:
    """Whether the baseline was fitted worth less than its ``baseline_effective`` (``null``: than
    30, the warning's threshold); only ``auto`` and ``null`` get here short, with the warning."""
    target = check.spec.anomaly.effective_target if check.spec.anomaly else None
    return bool(worth is not None and worth.n_eff < (target or WEAK_EFFECTIVE))


def _warn_if_weak(check: SloCheck, worth: Worth, range_s: float | None) -> None:
    """Say so when a baseline is worth fewer than :data:`WEAK_EFFECTIVE` independent readings and
    the guard did not require more: its band is wide, and small changes pass it. The remedy
    depends on why it is short: ``baseline_effective: null`` stopped at ``baseline_readings``;
    ``auto`` stopped because more would not fit within ``baseline_max_readings``; a range query
    (``range_s``) was too short."""
    from chaosguard.slo.anomaly.worth import readings_for

    spec = check.spec.anomaly
    if spec is None or spec.effective_required or not _short(check, worth):
        return
    if range_s is not None:
        wider = range_s * WEAK_EFFECTIVE / max(worth.n_eff, 1.0)
        remedy = f"widen baseline_range_s to about {wider:.0f} s"
    elif spec.effective_target is None:
        remedy = f"'baseline_effective: auto' learns until they are worth {WEAK_EFFECTIVE}"
    else:
        remedy = (
            f"{WEAK_EFFECTIVE} would take about {readings_for(worth, WEAK_EFFECTIVE)} readings, "
            f"more than baseline_max_readings ({spec.max_baseline_readings}): raise it, or learn "
            "from a range query (baseline_range_s)"
        )
    logger.warning(
        "chaosguard: guard '%s': its %d baseline readings are worth about %.0f independent ones "
        "(lag-1 autocorrelation %.2f); a baseline worth fewer than %d has a wide normal band, "
        "and changes within it pass; %s",
        check.name,
        worth.n,
        worth.n_eff,
        worth.rho,
        WEAK_EFFECTIVE,
        remedy,
    )


def _fmt(value: float | None) -> str:
    return "unreadable" if value is None else f"{value:g}"


def anomaly_reason(check: SloCheck, reading: Reading) -> str:
    """Why an anomaly guard breached, e.g. ``anomaly confirmed (ensemble): 252 outside the normal
    band [21.4, 61.2] (expected 40.1), 2 anomalous checks in a row``."""
    spec = check.spec.anomaly
    verdict = check.last_verdict
    band = f"[{_fmt(reading.band_low)}, {_fmt(reading.band_high)}]"
    said = f"; {verdict.reason}" if verdict is not None and verdict.reason else ""
    return (
        f"anomaly confirmed ({spec.detector if spec else '?'}): {_fmt(reading.value)} outside the "
        f"normal band {band} (expected {_fmt(reading.expected)}), "
        f"{spec.confirm if spec else 1} anomalous checks in a row{said}"
    )
