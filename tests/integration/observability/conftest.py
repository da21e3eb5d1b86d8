"""Real servers for the observability tests: a Debian Pushgateway (the journal tests' fixture) and
a Debian Prometheus scraping it with ``honor_labels`` and the rules of ``deploy/prometheus``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.journal.conftest import Pushgateway, pushgateway  # noqa: F401
from tests.prometheus_server import PrometheusMissing, PrometheusServer, find_prometheus

RULES = Path(__file__).resolve().parents[3] / "deploy" / "prometheus" / "chaosguard-rules.yaml"


@pytest.fixture(scope="module")
def prometheus_on_gateway(
    pushgateway: Pushgateway,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[PrometheusServer]:
    """Prometheus scraping the Pushgateway every second, with chaosguard's rules loaded."""
    try:
        binary = find_prometheus()
    except PrometheusMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    address = pushgateway.url.removeprefix("http://")
    server = PrometheusServer(
        tmp_path_factory.mktemp("prometheus"),
        [("pushgateway", address)],
        binary=binary,
        honor_labels=True,
        rule_files=[RULES],
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
