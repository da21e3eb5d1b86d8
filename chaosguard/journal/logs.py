"""Redacted logs: what Chaos Toolkit and chaosguard log goes through the same redaction as the
journal.

chaoslib logs every activity's result at DEBUG (``=> succeeded with '<output>'``) into
``chaostoolkit.log``: an output that echoes a secret or an env-sourced configuration value would
sit there in clear. :func:`install_log_redaction` puts a :class:`RedactingFilter` on every handler
of the ``chaostoolkit`` logger (the console and ``--log-file``), built from the experiment's
declarations, the resolved secrets and configuration, and the environment; installing it again
replaces the previous one. URLs in log lines are also redacted
(:func:`~chaosguard.journal.urls.redact_urls_in`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from chaosguard.journal.redact import Redactor, env_config_values, secret_values
from chaosguard.journal.urls import redact_urls_in

__all__ = ["RedactingFilter", "install_log_redaction", "LOGGER"]

#: the logger Chaos Toolkit configures (console and ``--log-file``) and chaosguard logs to
LOGGER = "chaostoolkit"


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with its :class:`Redactor` (never drops a record)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record to logging's own handling
            return True
        record.msg = redact_urls_in(self.redactor.text(message), self.redactor)
        record.args = ()
        return True


def install_log_redaction(
    experiment: Mapping[str, Any] | None,
    *,
    secrets: Mapping[str, Any] | None = None,
    configuration: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    logger: logging.Logger | None = None,
) -> RedactingFilter:
    """Redact every later record of ``logger`` (default ``chaostoolkit``) on all its handlers."""
    env = os.environ if env is None else env
    doc = {"experiment": dict(experiment or {})}
    redactor = Redactor(
        secret_values(doc, secrets=secrets, configuration=configuration, env=env),
        env_config_values(doc, configuration=configuration, env=env),
    )
    target = logger or logging.getLogger(LOGGER)
    new = RedactingFilter(redactor)
    for handler in target.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(new)
    return new
