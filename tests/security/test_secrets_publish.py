"""Item 10 of issue 9, publishers: secrets and env-sourced configuration never leave in clear.

Attacks (each failed on the code before the fix):

* an env-sourced configuration value whose key does not look secret (a Slack hook URL from
  ``{type: env, key: SLACK_HOOK}``) reached the archived journal, the HTML report, JUnit,
  Markdown and the webhook body;
* the webhook URL (a token in its path, a query string) was logged verbatim;
* an auth header went over plain http without a word.

The webhook receiver is a plain-http capture server on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaosguard.journal.publish import publish_journal
from chaosguard.journal.publishers.junit import junit_xml
from chaosguard.journal.publishers.markdown import render_markdown
from chaosguard.journal.report import report_html
from tests.unit.journal.samples import guarded_journal

pytestmark = pytest.mark.security

HOOK = "https://hooks.slack.com/services/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"
TOKEN = "Xq7RtY9uZk3PmWn2Lb8sVc4D"


class _Capture(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append(  # type: ignore[attr-defined]
            ({k.lower(): v for k, v in self.headers.items()}, body)
        )
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def capture() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A plain-http server on 127.0.0.1 recording every POST: (base URL, [(headers, body)])."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    server.daemon_threads = True
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def _our_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What chaosguard and Chaos Toolkit logged (the loggers ``chaos`` writes to its log file)."""
    return "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith(("chaostoolkit", "chaosguard"))
    )


def _journal_with_hook() -> dict[str, Any]:
    doc = guarded_journal()
    doc["experiment"]["configuration"] = {"slack_hook": {"type": "env", "key": "SLACK_HOOK"}}
    doc["run"][0]["output"] = {"notified": HOOK, "note": f"posted to {HOOK} ok"}
    return doc


def _settings(tmp_path: Path, url: str, **hook: Any) -> dict[str, Any]:
    return {
        "chaosguard": {
            "publishers": [
                {"type": "directory", "root": str(tmp_path / "runs")},
                {"type": "webhook", "url": url, "attempts": 1, **hook},
                {"type": "junit"},
                {"type": "markdown", "step_summary": False},
                {"type": "html"},
            ]
        }
    }


def test_env_sourced_configuration_never_reaches_an_output(
    tmp_path: Path, capture: tuple[str, list[Any]]
) -> None:
    base, seen = capture
    results = publish_journal(
        _journal_with_hook(), _settings(tmp_path, f"{base}/hook"), env={"SLACK_HOOK": HOOK}
    )
    assert all(r.ok for r in results), results
    (run_dir,) = (tmp_path / "runs").iterdir()
    outputs = {p.name: p.read_text() for p in run_dir.iterdir()}
    assert set(outputs) >= {"journal.json", "junit.xml", "summary.md", "report.html"}
    outputs["webhook body"] = seen[0][1].decode()
    leaked = [name for name, text in outputs.items() if HOOK in text or "q8WvR2xTzN5kLm3P" in text]
    assert leaked == []
    assert "***" in outputs["journal.json"]


def test_report_writers_hide_env_configuration_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_HOOK", HOOK)
    doc = _journal_with_hook()
    for name, text in {
        "html": report_html([doc], "t"),
        "junit": junit_xml([doc]).decode(),
        "markdown": render_markdown([doc]),
    }.items():
        assert HOOK not in text, name


def test_logged_urls_are_redacted(
    tmp_path: Path, capture: tuple[str, list[Any]], caplog: pytest.LogCaptureFixture
) -> None:
    base, seen = capture
    url = f"{base}/hooks/T0123ABCD/{TOKEN}?channel=ops-alerts-7"
    caplog.set_level(logging.DEBUG)
    settings = {"chaosguard": {"publishers": [{"type": "directory", "root": str(tmp_path)}]}}
    settings["chaosguard"]["publishers"].append({"type": "webhook", "url": url, "attempts": 1})
    results = publish_journal(guarded_journal(), settings, env={})
    assert results[-1].ok and len(seen) == 1
    logged = _our_logs(caplog) + json.dumps([r.__dict__ for r in results])
    assert "127.0.0.1" in logged, "the host stays readable"
    assert TOKEN not in logged and "ops-alerts-7" not in logged


def test_a_failing_webhook_does_not_log_its_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://127.0.0.1:9/hooks/{TOKEN}?room=secret-room-42"
    settings = {
        "chaosguard": {
            "publishers": [
                {"type": "directory", "root": str(tmp_path)},
                {"type": "webhook", "url": url, "attempts": 1, "timeout_s": 2},
            ]
        }
    }
    results = publish_journal(guarded_journal(), settings, env={})
    assert not results[-1].ok
    logged = _our_logs(caplog) + json.dumps([r.__dict__ for r in results])
    assert TOKEN not in logged and "secret-room-42" not in logged


def test_auth_over_plain_http_is_refused(
    tmp_path: Path,
    capture: tuple[str, list[Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    base, seen = capture
    monkeypatch.delenv("CHAOSGUARD_POLICY", raising=False)
    settings = _settings(tmp_path, f"{base}/hook", auth_env="HOOK_TOKEN", auth_scheme="Bearer")
    env = {"HOOK_TOKEN": "hook-token-value-123456"}
    results = publish_journal(guarded_journal(), settings, env=env)
    webhook = next(r for r in results if r.type == "webhook")
    assert not webhook.ok and webhook.attempts == 1
    assert "journal.allow_plain_http_auth" in (webhook.error or "")
    assert seen == [], "nothing was sent"
    assert "hook-token-value-123456" not in caplog.text


def test_auth_over_plain_http_needs_the_policy_opt_in(
    tmp_path: Path, capture: tuple[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, seen = capture
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump({"journal": {"allow_plain_http_auth": True}}))
    monkeypatch.setenv("CHAOSGUARD_POLICY", str(policy))
    settings = _settings(tmp_path, f"{base}/hook", auth_env="HOOK_TOKEN", auth_scheme="Bearer")
    results = publish_journal(
        guarded_journal(), settings, env={"HOOK_TOKEN": "hook-token-value-123456"}
    )
    assert all(r.ok for r in results), results
    assert seen[0][0]["authorization"] == "Bearer hook-token-value-123456"
