"""PrometheusSource against a real Prometheus scraping a loopback exporter every second."""

from __future__ import annotations

import re
import threading
import time

import pytest

from chaosguard.errors import InvalidArgument
from chaosguard.slo.base import Observation, SloSource, SourceUnreadable
from chaosguard.slo.prometheus.client import query_value
from chaosguard.slo.prometheus.queries import rate_ratio_query
from chaosguard.slo.prometheus.source import PrometheusSource
from chaosguard.slo.spec import PrometheusGuard
from tests.helpers import wait_until
from tests.prometheus_server import Exporter, PrometheusServer, wait_for_value


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text.strip() == text
    return text


def test_value_matches_the_exporter_after_a_scrape(
    exporter: Exporter, prom_url: str, metric: str
) -> None:
    exporter.set(metric, 0.002)
    wait_for_value(prom_url, metric, lambda v: v == 0.002)
    with PrometheusSource(prom_url, metric, max_staleness_s=30) as src:
        assert isinstance(src, SloSource)
        obs = src.read(timeout_s=5)
    assert isinstance(obs, Observation)
    assert obs.value == 0.002
    # `at` is the sample's own timestamp (the last scrape), not the evaluation time
    assert obs.at <= obs.detail["evaluated_at"]
    assert 0 <= obs.detail["age_s"] <= 10
    assert abs(obs.at - time.time()) < 15
    assert obs.detail["inputs"] == {metric: obs.at}
    assert obs.detail["labels"]["__name__"] == metric
    assert metric in src.describe() and prom_url in src.describe()


def test_a_change_shows_up_within_a_few_scrapes(
    exporter: Exporter, prom_url: str, metric: str
) -> None:
    exporter.set(metric, 0.002)
    wait_for_value(prom_url, metric, lambda v: v == 0.002)
    src = PrometheusSource(prom_url, f"max({metric})")
    exporter.set(metric, 0.05)
    changed_at = time.monotonic()
    seen = []
    while time.monotonic() - changed_at < 15:  # scrape interval 1 s; generous for a busy machine
        seen.append(src.read(timeout_s=5).value)
        if seen[-1] == 0.05:
            break
        time.sleep(0.1)
    assert seen[-1] == 0.05, seen
    src.close()


def test_a_query_with_no_sample_is_unreadable(prom_url: str) -> None:
    src = PrometheusSource(prom_url, 'cg_never_exported{job="exporter"}')
    with pytest.raises(SourceUnreadable, match="query returned no sample"):
        src.read(timeout_s=5)


def test_several_samples_are_unreadable_with_a_hint(
    exporter: Exporter, prom_url: str, metric: str
) -> None:
    exporter.set(metric, 1, {"path": "/a"})
    exporter.set(metric, 2, {"path": "/b"})
    wait_for_value(prom_url, f"count({metric})", lambda v: v == 2)
    with pytest.raises(SourceUnreadable) as err:
        PrometheusSource(prom_url, metric).read(timeout_s=5)
    msg = _one_line(err.value)
    assert "query returned 2 samples" in msg
    assert 'path="/a"' in msg and "sum(...)" in msg
    # aggregated, it is fine
    assert PrometheusSource(prom_url, f"sum({metric})").read(timeout_s=5).value == 3


def test_bad_promql_reports_prometheus_error(prom_url: str) -> None:
    with pytest.raises(SourceUnreadable) as err:
        PrometheusSource(prom_url, "sum(rate(http_requests_total[5m])").read(timeout_s=5)
    msg = _one_line(err.value)
    assert "Prometheus error (bad_data)" in msg and "parse error" in msg


@pytest.mark.parametrize(("query", "reason"), [("0/0", "NaN"), ("1/0", "+Inf"), ("-1/0", "-Inf")])
def test_non_finite_values_are_unreadable(prom_url: str, query: str, reason: str) -> None:
    with pytest.raises(SourceUnreadable, match=reason.replace("+", r"\+")):
        PrometheusSource(prom_url, query).read(timeout_s=5)


def test_range_vector_and_string_results_are_unreadable(
    exporter: Exporter, prom_url: str, metric: str
) -> None:
    exporter.set(metric, 1)
    wait_for_value(prom_url, metric, lambda v: v == 1)
    with pytest.raises(SourceUnreadable, match="range vector"):
        PrometheusSource(prom_url, f"{metric}[1m]").read(timeout_s=5)
    with pytest.raises(SourceUnreadable, match="string result"):
        PrometheusSource(prom_url, '"text"').read(timeout_s=5)


def test_a_query_without_selectors_is_always_fresh(prom_url: str) -> None:
    obs = PrometheusSource(prom_url, "vector(1) * 2").read(timeout_s=5)
    assert obs.value == 2 and obs.at == obs.detail["evaluated_at"] and obs.detail["age_s"] == 0


def test_a_ratio_of_rates_from_counters(exporter: Exporter, prom_url: str, metric: str) -> None:
    total, errors = f"{metric}_requests_total", f"{metric}_errors_total"
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            exporter.inc(total, 100)
            exporter.inc(errors, 1)
            stop.wait(0.05)

    worker = threading.Thread(target=traffic, daemon=True)
    worker.start()
    try:
        query = rate_ratio_query(errors, total, window="10s")
        wait_for_value(prom_url, query, lambda v: v == v, timeout=20)  # two scrapes → a rate exists
        obs = PrometheusSource(prom_url, query, max_staleness_s=10).read(timeout_s=5)
    finally:
        stop.set()
        worker.join()
    assert obs.value == pytest.approx(0.01, rel=0.25)
    assert set(obs.detail["inputs"]) == {errors, total}
    assert obs.detail["age_s"] <= 10


def test_concurrent_reads_share_one_client(exporter: Exporter, prom_url: str, metric: str) -> None:
    exporter.set(metric, 7)
    wait_for_value(prom_url, metric, lambda v: v == 7)
    src = PrometheusSource(prom_url, metric)
    values: list[float] = []
    errors: list[BaseException] = []

    def reader() -> None:
        for _ in range(10):
            try:
                values.append(src.read(timeout_s=10).value)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    src.close()
    assert not errors and values == [7.0] * 40
    with pytest.raises(SourceUnreadable, match="closed"):
        src.read(timeout_s=1)


def test_target_down_becomes_stale_after_max_staleness(
    exporter: Exporter, prometheus: PrometheusServer, metric: str
) -> None:
    exporter.set(metric, 0.001)
    wait_for_value(prometheus.url, metric, lambda v: v == 0.001)
    # last_over_time keeps yielding the old value after the target dies, like rate() over a window
    # does; `up` is a second input that stays fresh (Prometheus writes up=0): the stalest input must
    # count.
    query = f'last_over_time({metric}[5m]) + 0 * scalar(max(up{{job="exporter"}}))'
    src = PrometheusSource(prometheus.url, query, max_staleness_s=3)
    assert wait_until(
        lambda: _fresh(src), timeout=10
    )  # tolerant of a busy machine delaying scrapes
    assert set(src.read(timeout_s=5).detail["inputs"]) == {metric, 'up{job="exporter"}'}
    plain = PrometheusSource(prometheus.url, metric, max_staleness_s=3)

    exporter.stop()
    stopped = time.monotonic()
    ages, plain_error = [], None
    while True:
        assert time.monotonic() - stopped < 20, f"never reported stale; ages seen: {ages}"
        try:
            obs = src.read(timeout_s=5)
            assert obs.value == 0.001  # the value itself looks fine...
            ages.append(obs.detail["age_s"])
        except SourceUnreadable as exc:
            msg = _one_line(exc)
            break
        if plain_error is None:
            try:
                plain.read(timeout_s=5)
            except SourceUnreadable as exc:
                plain_error = str(exc)
        time.sleep(0.2)
    # ...but the data behind it is older than max_staleness_s: stale, naming the input that died
    age = float(re.search(r"is ([0-9.]+)s old", msg).group(1))  # type: ignore[union-attr]
    assert age > 3 and "max_staleness_s=3" in msg and f"oldest input: {metric}" in msg
    assert ages == sorted(ages) and all(a <= 3 for a in ages)  # the age only grows; fresh until 3 s
    # the plain gauge disappears once Prometheus marks it stale: unreadable (fail closed) as well
    if plain_error is None:
        with pytest.raises(SourceUnreadable) as err:
            plain.read(timeout_s=5)
        plain_error = str(err.value)
    assert "no sample" in plain_error or "stale data" in plain_error


def _fresh(src: PrometheusSource) -> bool:
    try:
        src.read(timeout_s=5)
    except SourceUnreadable:
        return False
    return True


def test_custom_freshness_query(exporter: Exporter, prom_url: str, metric: str) -> None:
    exporter.set(metric, 5)
    wait_for_value(prom_url, metric, lambda v: v == 5)
    src = PrometheusSource(prom_url, f"sum({metric})", freshness_query=f"max(timestamp({metric}))")
    obs = src.read(timeout_s=5)
    assert obs.value == 5 and obs.detail["inputs"] == {"freshness_query": obs.at}
    assert obs.detail["age_s"] <= 10
    with pytest.raises(SourceUnreadable, match="freshness query returned no sample"):
        PrometheusSource(prom_url, "vector(1)", freshness_query="cg_never_exported").read(
            timeout_s=5
        )


def test_prometheus_stopped_or_hung_is_unreadable_within_the_timeout(
    exporter: Exporter, prometheus: PrometheusServer, metric: str
) -> None:
    exporter.set(metric, 3)
    wait_for_value(prometheus.url, metric, lambda v: v == 3)
    # last_over_time: the value survives the failed scrape that follows a freeze (which stale-marks
    # the gauge)
    src = PrometheusSource(prometheus.url, f"last_over_time({metric}[5m])", max_staleness_s=600)
    assert src.read(timeout_s=5).value == 3  # the client now holds a keep-alive connection

    prometheus.freeze()  # accepts connections, never answers
    started = time.monotonic()
    with pytest.raises(SourceUnreadable) as err:
        src.read(timeout_s=1.5)
    hung_for = time.monotonic() - started
    assert "no answer from" in _one_line(err.value) and "within 1.5s" in str(err.value)
    assert 1.0 <= hung_for < 1.5 + 2.0  # bounded by the timeout (slack for a busy machine)
    prometheus.thaw()

    prometheus.stop()
    started = time.monotonic()
    with pytest.raises(SourceUnreadable) as err:
        src.read(timeout_s=2)
    assert time.monotonic() - started < 2 + 2.0
    assert f"cannot connect to {prometheus.url}" in _one_line(err.value)
    with pytest.raises(SourceUnreadable, match="cannot connect"):
        query_value(prometheus.url, metric, timeout_s=2)

    prometheus.start(wait_scrape=False)  # same port, same storage
    obs = src.read(timeout_s=5)  # the same source reconnects by itself
    assert obs.value == 3 and obs.detail["age_s"] < 600


def test_from_spec_reads_the_token_from_the_environment(
    prom_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = PrometheusGuard(
        name="g",
        source="prometheus",
        url=prom_url,
        query="vector(0.5)",
        max=1,
        max_staleness_s=12,
        bearer_token_env="CG_TEST_PROM_TOKEN",
    )
    with pytest.raises(InvalidArgument, match="bearer_token_env"):
        PrometheusSource.from_spec(spec, environ={})
    monkeypatch.setenv("CG_TEST_PROM_TOKEN", "s3cret")
    src = PrometheusSource.from_spec(spec)
    assert src.max_staleness_s == 12 and "s3cret" not in src.describe() + repr(src)
    assert src.read(timeout_s=5).value == 0.5  # Prometheus ignores the header


def test_the_documented_queries_and_their_freshness_queries_parse(prom_url: str) -> None:
    from tests.prometheus_server import instant_query
    from tests.unit.slo.test_prometheus_docs import doc_guards

    for guard in doc_guards():
        src = PrometheusSource(prom_url, guard["query"], guard.get("max_staleness_s", 30))
        with pytest.raises(
            SourceUnreadable, match="query returned no sample"
        ):  # no such series here
            src.read(timeout_s=5)
        assert src.freshness_query is not None
        assert instant_query(prom_url, src.freshness_query) == []  # valid PromQL, nothing to report
