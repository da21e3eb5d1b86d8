"""A game day's metrics push: nothing without a Pushgateway publisher, a warning (never a verdict
change) when the gateway cannot be reached."""

from __future__ import annotations

from pathlib import Path

import yaml

from chaosguard.errors import ExitCode
from chaosguard.gameday.metrics import push_suite_metrics
from chaosguard.gameday.results import SuiteResult


def _result(tmp_path: Path) -> SuiteResult:
    return SuiteResult("weekly", "suite.yaml", tmp_path, 1.0, 2.0, [], ExitCode.OK, None)


def test_no_publisher_no_push(tmp_path: Path) -> None:
    result = _result(tmp_path)
    assert push_suite_metrics(result, {"HOME": str(tmp_path)}) == []
    assert result.warnings == []


def test_unreachable_gateway_is_a_warning(tmp_path: Path) -> None:
    publishers = tmp_path / "publishers.yaml"
    publishers.write_text(
        yaml.safe_dump(
            {"publishers": [{"type": "pushgateway", "url": "http://127.0.0.1:9", "timeout_s": 1}]}
        )
    )
    result = _result(tmp_path)
    env = {"HOME": str(tmp_path), "CHAOSGUARD_PUBLISHERS": str(publishers)}
    assert push_suite_metrics(result, env) == []
    assert len(result.warnings) == 1 and "127.0.0.1:9" in result.warnings[0]
    assert result.verdict is ExitCode.OK


def test_bad_publishers_file_is_a_warning(tmp_path: Path) -> None:
    publishers = tmp_path / "publishers.yaml"
    publishers.write_text("publishers: [{type: pushgateway}]\n")
    result = _result(tmp_path)
    env = {"HOME": str(tmp_path), "CHAOSGUARD_PUBLISHERS": str(publishers)}
    assert push_suite_metrics(result, env) == []
    assert result.warnings and "url" in result.warnings[0]
