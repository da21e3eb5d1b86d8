"""Webhook publisher against a real local HTTPS receiver (its certificate from a test CA)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from chaosguard.journal.publish import publish_journal
from tests.integration.journal.conftest import Receiver, Tls
from tests.unit.journal.samples import PLANTED, SECRET_ENV, guarded_journal, with_secrets


def _publish(
    tmp_path: Path,
    hook: dict[str, Any],
    env: dict[str, str] | None = None,
    doc: dict[str, Any] | None = None,
) -> Any:
    settings = {
        "chaosguard": {
            "publishers": [
                {"type": "directory", "root": str(tmp_path / "runs")},
                {"type": "webhook", "backoff_s": 0.05, **hook},
            ]
        }
    }
    results = publish_journal(doc or guarded_journal(), settings, env=env or {})
    assert results[0].ok, results
    return results[1]


def test_self_signed_is_rejected_by_default(tmp_path: Path, receiver: Receiver) -> None:
    result = _publish(tmp_path, {"url": receiver.url})
    assert not result.ok and result.attempts == 1, "a TLS failure is not retried"
    assert "TLS verification" in (result.error or "") and "verify" in (result.error or "")
    assert receiver.requests == []


def test_trusted_with_the_ca_bundle(tmp_path: Path, receiver: Receiver, tls: Tls) -> None:
    result = _publish(tmp_path, {"url": receiver.url, "verify": str(tls.ca)})
    assert result.ok and "HTTP 202" in (result.target or "")
    (request,) = receiver.requests
    assert request.path == "/hooks/chaos" and request.headers["content-type"] == "application/json"
    assert request.json()["chaosguard"]["outcome"] == "aborted"
    assert request.headers["idempotency-key"] == "20261126T122347-d7d5871f"
    assert request.headers["x-chaosguard-outcome"] == "aborted"


def test_trusted_with_verify_false(tmp_path: Path, receiver: Receiver) -> None:
    assert _publish(tmp_path, {"url": receiver.url, "verify": False}).ok
    assert len(receiver.requests) == 1


def test_auth_header_from_env_and_body_redacted(
    tmp_path: Path, receiver: Receiver, tls: Tls
) -> None:
    env = {**SECRET_ENV, "HOOK_TOKEN": "hook-token-value-123456"}
    hook = {
        "url": receiver.url,
        "verify": str(tls.ca),
        "auth_env": "HOOK_TOKEN",
        "auth_scheme": "Bearer",
    }
    doc = with_secrets()
    doc["run"][0]["output"]["note"] = "the hook token hook-token-value-123456 leaked into an output"
    assert _publish(tmp_path, hook, env, doc).ok
    (request,) = receiver.requests
    assert request.headers["authorization"] == "Bearer hook-token-value-123456"
    body = request.body.decode()
    assert [k for k, v in PLANTED.items() if v in body] == []
    assert "hook-token-value-123456" not in body
    on_disk = next((tmp_path / "runs").glob("*/journal.json")).read_text()
    assert "hook-token-value-123456" not in on_disk and PLANTED["env_secret"] not in on_disk


def test_missing_auth_env_fails_without_sending(
    tmp_path: Path, receiver: Receiver, tls: Tls
) -> None:
    result = _publish(tmp_path, {"url": receiver.url, "verify": str(tls.ca), "auth_env": "NOPE"})
    assert not result.ok and "NOPE" in (result.error or "") and result.attempts == 1
    assert receiver.requests == []


def test_retries_until_the_receiver_recovers(tmp_path: Path, receiver: Receiver, tls: Tls) -> None:
    receiver.fail_first = 2
    result = _publish(tmp_path, {"url": receiver.url, "verify": str(tls.ca), "attempts": 4})
    assert result.ok and result.attempts == 3
    assert len(receiver.requests) == 3
    keys = {r.headers["idempotency-key"] for r in receiver.requests}
    assert len(keys) == 1, "a retried POST carries the same idempotency key"


def test_gives_up_after_the_attempts(tmp_path: Path, receiver: Receiver, tls: Tls) -> None:
    receiver.fail_first = 99
    result = _publish(tmp_path, {"url": receiver.url, "verify": str(tls.ca), "attempts": 3})
    assert not result.ok and result.attempts == 3 and "HTTP 503" in (result.error or "")
    assert len(receiver.requests) == 3


def test_client_errors_are_not_retried(tmp_path: Path, receiver: Receiver, tls: Tls) -> None:
    receiver.fail_first, receiver.fail_status = 99, 400
    result = _publish(tmp_path, {"url": receiver.url, "verify": str(tls.ca), "attempts": 3})
    assert not result.ok and result.attempts == 1 and "HTTP 400" in (result.error or "")


def test_retry_after_is_honoured_within_the_time_budget(
    tmp_path: Path, receiver: Receiver, tls: Tls
) -> None:
    receiver.fail_first, receiver.fail_status, receiver.retry_after = 1, 429, "0.3"
    started = time.monotonic()
    result = _publish(tmp_path, {"url": receiver.url, "verify": str(tls.ca), "attempts": 2})
    assert result.ok and time.monotonic() - started >= 0.3
    receiver.requests.clear()
    receiver.fail_first, receiver.retry_after = 99, "30"
    started = time.monotonic()
    result = _publish(
        tmp_path, {"url": receiver.url, "verify": str(tls.ca), "attempts": 5, "max_total_s": 2}
    )
    assert not result.ok and time.monotonic() - started < 2, "never sleeps past max_total_s"


def test_a_hanging_receiver_times_out(tmp_path: Path, receiver: Receiver, tls: Tls) -> None:
    receiver.hang = True
    started = time.monotonic()
    result = _publish(
        tmp_path, {"url": receiver.url, "verify": str(tls.ca), "attempts": 2, "timeout_s": 0.3}
    )
    assert not result.ok and result.attempts == 2 and "Timeout" in (result.error or "")
    assert time.monotonic() - started < 3
