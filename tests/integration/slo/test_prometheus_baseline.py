"""An anomaly guard on Prometheus learns its baseline from a range query (``baseline_range_s``):
the source's history against a real Prometheus (1 s scrape of the test exporter), and the baseline
phase refusing, with the numbers, when the history is too short, ambiguous or NaN."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import pytest

from chaosguard.errors import Refused
from chaosguard.guard.baseline import learn_baselines
from chaosguard.guard.watcher import Watcher
from chaosguard.slo.base import SourceUnreadable
from chaosguard.slo.build import build_detector, build_source
from chaosguard.slo.check import SloCheck
from chaosguard.slo.prometheus.source import PrometheusSource
from chaosguard.slo.spec import PrometheusGuard
from tests.prometheus_server import Exporter, wait_for_value

pytestmark = pytest.mark.slow


def _fill(
    exporter: Exporter,
    prom_url: str,
    metric: str,
    seconds: float,
    value_of: Callable[[int], float] = lambda i: 40.0 + (i % 5),
) -> list[float]:
    """Set the gauge to ``value_of(i)`` every 0.5 s for ``seconds``; return the values set."""
    values = []
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        value = value_of(i)
        exporter.set(metric, value)
        values.append(value)
        i += 1
        time.sleep(0.5)
    wait_for_value(prom_url, metric, lambda v: v == values[-1])
    return values


def _guard(
    prom_url: str, query: str, range_s: float, readings: int = 10, **anomaly: Any
) -> PrometheusGuard:
    return PrometheusGuard(
        name="latency",
        source="prometheus",
        url=prom_url,
        query=query,
        anomaly={
            "detector": "zscore",
            "baseline_readings": readings,
            "baseline_range_s": range_s,
            **anomaly,
        },
    )


def test_the_history_is_the_query_over_the_range_at_the_step(
    exporter: Exporter, prom_url: str, metric: str
) -> None:
    set_values = _fill(exporter, prom_url, metric, 8.0)
    with PrometheusSource(prom_url, metric) as src:
        history = src.history(6.0, 1.0, 5.0)
    assert 5 <= len(history) <= 7  # one point a second over 6 s
    assert all(math.isfinite(v) and v in set_values for v in history)


def test_several_series_or_nan_points_make_the_history_unreadable(
    exporter: Exporter, prom_url: str, metric: str
) -> None:
    exporter.set(metric, 1.0, labels={"pod": "a"})
    exporter.set(metric, 2.0, labels={"pod": "b"})
    wait_for_value(prom_url, f"count({metric})", lambda v: v == 2)
    with PrometheusSource(prom_url, metric) as src:
        with pytest.raises(SourceUnreadable, match="range query returned 2 series"):
            src.history(5.0, 1.0, 5.0)
        nan = f"sum({metric}) / 0 * 0"  # 0/0 once multiplied: NaN at every step
        nan_src = PrometheusSource(prom_url, nan)
        with pytest.raises(SourceUnreadable, match="NaN"):
            nan_src.history(5.0, 1.0, 5.0)
        nan_src.stop()


def _learn(spec: PrometheusGuard, into: dict[str, dict[str, Any]]) -> SloCheck:
    check = SloCheck(spec, build_source(spec), detector=build_detector(spec, 1.0))
    watcher = Watcher([check], 1.0, lambda readings: None)
    try:
        learn_baselines([check], watcher, 1.0, lambda readings, when: None, into)
    finally:
        check.source.stop()
    return check


def test_the_baseline_phase_learns_from_the_range_query(
    exporter: Exporter, prom_url: str, metric: str
) -> None:
    _fill(exporter, prom_url, metric, 14.0)
    into: dict[str, dict[str, Any]] = {}
    check = _learn(_guard(prom_url, metric, 12.0), into)
    assert check.baseline is not None and 10 <= check.baseline.n <= 13
    assert into["latency"]["learned_from"] == "range-query"
    assert 40.0 <= into["latency"]["mean"] <= 44.0
    assert check.evaluate(42.0, None, None).anomalous is False


def test_too_short_a_history_refuses_with_the_numbers(
    exporter: Exporter, prom_url: str, metric: str
) -> None:
    _fill(exporter, prom_url, metric, 3.0)
    into: dict[str, dict[str, Any]] = {}
    with pytest.raises(Refused) as err:
        _learn(_guard(prom_url, metric, 2.0, readings=30), into)
    message = str(err.value)
    assert message.startswith("guard 'latency': the baseline needs 30 readings, the range query")
    assert "over the last 2 s gave " in message
    assert int(message.rsplit("gave ", 1)[1]) < 30
    assert into == {}


def test_a_history_worth_too_little_refuses_naming_the_range_to_ask_for(
    exporter: Exporter, prom_url: str, metric: str
) -> None:
    _fill(exporter, prom_url, metric, 14.0, value_of=lambda i: 40.0 + 0.25 * i)  # a slow drift
    into: dict[str, dict[str, Any]] = {}
    with pytest.raises(Refused) as err:
        _learn(_guard(prom_url, metric, 12.0, baseline_effective=8), into)
    message = str(err.value)
    assert message.startswith("guard 'latency': the range query's ")
    assert " readings worth about 2 independent ones (lag-1 autocorrelation 0.9" in message
    assert "it needs 8 (baseline_effective): widen baseline_range_s to about 48 s" in message
    assert into == {}


def test_an_unreachable_prometheus_refuses_the_baseline() -> None:
    spec = _guard("http://127.0.0.1:9", "up", 60.0)
    with pytest.raises(Refused, match="guard 'latency': the baseline range query failed: "):
        _learn(spec, {})
