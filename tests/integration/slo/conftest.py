"""Fixtures for tests against a real Prometheus: one exporter + one Prometheus for the session.

* ``prometheus_stack`` (session) — starts :class:`tests.prometheus_server.Exporter` and a Debian
  Prometheus scraping it every second; yields ``(exporter, prometheus)``. Fails (not skips) when the
  binary is missing.
* ``exporter`` — the shared exporter, answering; whatever the test did to it (``stop()``,
  ``hang()``) is undone afterwards. Use a fresh metric name per test (``metric`` fixture):
  Prometheus keeps history.
* ``prometheus`` — the shared :class:`tests.prometheus_server.PrometheusServer`, running (and
  scraped at least once since the session started; after a restart call ``ensure_scraped()`` if the
  test needs it); the test may ``stop()``/``start()``/``freeze()``/``thaw()`` it: it is running
  again afterwards.
* ``prom_url`` — its base URL. ``metric`` — a metric name unique to the test.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest

from tests.prometheus_server import Exporter, PrometheusMissing, PrometheusServer, find_prometheus

_counter = itertools.count()


@pytest.fixture(scope="session")
def prometheus_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Exporter, PrometheusServer]]:
    try:
        binary = find_prometheus()
    except PrometheusMissing as exc:
        missing = str(exc)
    else:
        missing = ""
    if missing:
        pytest.fail(
            missing, pytrace=False
        )  # not a skip: a missing Prometheus must not pass silently
    exporter = Exporter().start()
    server = PrometheusServer(
        tmp_path_factory.mktemp("prometheus"),
        [("exporter", exporter.address)],
        scrape_interval="1s",
        binary=binary,
    )
    try:
        server.start(timeout=60)
        yield exporter, server
    finally:
        server.stop()
        exporter.stop()


@pytest.fixture()
def exporter(prometheus_stack: tuple[Exporter, PrometheusServer]) -> Iterator[Exporter]:
    exp, server = prometheus_stack
    yield exp
    exp.clear()
    if not exp.running or exp._hanging.is_set():
        exp.start()
        exp.answer()
        server.scraped = False  # the next test waits for a successful scrape again


@pytest.fixture()
def prometheus(prometheus_stack: tuple[Exporter, PrometheusServer]) -> Iterator[PrometheusServer]:
    exp, server = prometheus_stack
    if not exp.running:
        exp.start()
    exp.answer()
    server.thaw()
    if not server.running:
        server.start(wait_scrape=False)
    # No scrape wait here: tests wait for *their* value (wait_for_value), which implies a fresh
    # scrape; call prometheus.ensure_scraped() when a test needs the target up without setting a
    # value.
    yield server
    server.thaw()
    if not server.running:
        server.start(wait_scrape=False)  # scraped lazily by the next test that needs it


@pytest.fixture()
def prom_url(prometheus: PrometheusServer) -> str:
    return prometheus.url


@pytest.fixture()
def metric(request: pytest.FixtureRequest) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[:60]
    return f"cg_{name}_{next(_counter)}"
