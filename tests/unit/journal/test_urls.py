"""URL redaction for logs and results, env-sourced configuration values, the log filter, private
files."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from chaosguard.journal.files import private_new_dir, private_write
from chaosguard.journal.logs import RedactingFilter, install_log_redaction
from chaosguard.journal.redact import Redactor, env_config_values, redact_journal
from chaosguard.journal.urls import redact_url, redact_urls_in


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.com/hooks/chaos", "https://example.com/hooks/chaos"),
        ("https://u:p@example.com/x", "https://***@example.com/x"),
        ("https://example.com/x?a=1&b=two#frag", "https://example.com/x?a=***&b=***#***"),
        (
            "https://hooks.slack.com/services/T0/B0/abc",
            "https://hooks.slack.com/services/***/***/***",
        ),
        (
            "https://x.webhook.office.com/webhookb2/abc/def",
            "https://x.webhook.office.com/webhookb2/***/***",
        ),
        ("http://127.0.0.1:9/h/Xq7RtY9uZk3PmWn2Lb8sVc4D", "http://127.0.0.1:9/h/***"),
        (
            "http://127.0.0.1:9091/metrics/job/chaosguard/experiment/latency-under-load-2026",
            "http://127.0.0.1:9091/metrics/job/chaosguard/experiment/latency-under-load-2026",
        ),
        ("http://[::1]:8080/a", "http://[::1]:8080/a"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_known_secret_values_and_urls_inside_text() -> None:
    r = Redactor(["s3cr3t-value"])
    assert redact_url("https://example.com/s3cr3t-value/x", r) == "https://example.com/***/x"
    text = "POST https://h.example/x?token=abc failed; see https://u:pw@h.example/"
    assert (
        redact_urls_in(text)
        == "POST https://h.example/x?token=*** failed; see https://***@h.example/"
    )


def test_env_configuration_values_whatever_their_name() -> None:
    doc = {
        "experiment": {
            "configuration": {
                "hook": {"type": "env", "key": "HOOK"},
                "stage": {"type": "env", "key": "STAGE"},
                "nested": {"inner": {"type": "env", "key": "INNER"}},
                "literal": "plain",
            }
        },
        "run": [{"output": "prod production https://hooks.example/abcdefgh1234 inner-value-1"}],
        "stage": "prod",
    }
    env = {"HOOK": "https://hooks.example/abcdefgh1234", "STAGE": "prod", "INNER": "inner-value-1"}
    assert env_config_values(doc, env=env) == set(env.values())
    assert env_config_values(doc, env={}, configuration={"hook": "resolved"}) == {"resolved"}
    out = redact_journal(doc, env=env)
    assert out["run"][0]["output"] == "prod production *** ***", "short values only when whole"
    assert out["stage"] == "***"
    assert out["experiment"]["configuration"]["literal"] == "plain"


def test_log_filter_redacts_each_record(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("chaosguard-test-logs")
    handler = logging.Handler()
    seen: list[str] = []
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        experiment = {"configuration": {"hook": {"type": "env", "key": "HOOK"}}}
        first = install_log_redaction(experiment, env={"HOOK": "hook-value-123"}, logger=logger)
        second = install_log_redaction(experiment, env={"HOOK": "hook-value-456"}, logger=logger)
        assert [f for f in handler.filters if isinstance(f, RedactingFilter)] == [second]
        assert first is not second
        logger.warning("succeeded with %r at %s", "hook-value-456", "https://u:p@h.example/")
        assert seen == ["succeeded with '***' at https://***@h.example/"]
    finally:
        logger.removeHandler(handler)


def test_private_files_and_dirs(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    run = private_new_dir(tmp_path / "new" / "root", "run")
    path = private_write(run / "deep" / "f.txt", b"x")
    for d in (tmp_path / "new", tmp_path / "new" / "root", run, run / "deep"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755, "an existing directory is left alone"
