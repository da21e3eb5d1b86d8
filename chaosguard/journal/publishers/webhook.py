"""Webhook: POST the redacted journal as JSON (``Idempotency-Key`` lets a receiver drop retried
copies)."""

from __future__ import annotations

import hashlib

from chaosguard.journal.config import WebhookPublisher
from chaosguard.journal.publishers import PublishContext
from chaosguard.journal.publishers._http import send
from chaosguard.journal.urls import redact_url
from chaosguard.ledger.files import to_json

__all__ = ["publish"]


def publish(spec: WebhookPublisher, ctx: PublishContext) -> str:
    """POST ``ctx.journal`` to ``spec.url``; return the (redacted) URL and the response status."""
    body = to_json(ctx.journal)
    headers = {
        **spec.headers,
        "Content-Type": "application/json",
        "Idempotency-Key": ctx.facts.run_id or hashlib.sha256(body).hexdigest()[:32],
        "X-Chaosguard-Outcome": ctx.facts.outcome,
    }
    response = send(spec, "POST", spec.url, body, headers, ctx.env)
    return f"{redact_url(spec.url)} (HTTP {response.status_code})"
