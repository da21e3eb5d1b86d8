"""Every telemetry test starts with no sink configured and leaves none behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chaosguard import telemetry

TELEMETRY_ENV = (
    "CHAOSGUARD_EVENTS",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_SERVICE_NAME",
    "TRACEPARENT",
)


@pytest.fixture(autouse=True)
def _no_sinks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in TELEMETRY_ENV:
        monkeypatch.delenv(name, raising=False)
    telemetry.reset()
    yield
    telemetry.reset()
