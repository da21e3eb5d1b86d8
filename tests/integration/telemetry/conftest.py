"""The real Jaeger of the tracing tests: one per test session, started only when a test asks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.telemetry.jaeger_server import JaegerServer, jaeger_binary


@pytest.fixture(scope="session")
def jaeger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JaegerServer]:
    server = JaegerServer(jaeger_binary(), Path(tmp_path_factory.mktemp("jaeger")))
    server.start()
    try:
        yield server
    finally:
        server.stop()
