"""Off means free: without ``OTEL_*`` no OpenTelemetry module is imported, with it they are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.telemetry.conftest import TELEMETRY_ENV

SCRIPT = """
from chaosguard.guard import control
from chaosguard.telemetry import emit
emit("run-start", run_id="r", title="t", scope="local", policy_digest="d")
emit("reading", guard="g", value=1.0)
emit("run-end")
"""


def _imported(extra: dict[str, str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in TELEMETRY_ENV}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", SCRIPT],
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line]
    return [m for m in modules if m.split(".")[0] == "opentelemetry"]


@pytest.mark.parametrize("events", [None, "file"])
def test_no_opentelemetry_import_without_otel_variables(events, tmp_path: Path) -> None:
    extra = {"CHAOSGUARD_EVENTS": str(tmp_path / "e.ndjson")} if events else {}
    extra["OTEL_SERVICE_NAME"] = "x"  # a service name alone configures nothing
    assert _imported(extra) == []


@pytest.mark.parametrize("off", [{"OTEL_SDK_DISABLED": "true"}, {"OTEL_TRACES_EXPORTER": "none"}])
def test_disabled_traces_import_nothing_either(off: dict) -> None:
    assert _imported({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", **off}) == []


def test_an_endpoint_imports_the_sdk() -> None:
    # a closed port: the export fails in the background, bounded; the process still ends
    imported = _imported({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    assert "opentelemetry.sdk.trace" in imported
