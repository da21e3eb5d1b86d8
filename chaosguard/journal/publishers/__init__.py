"""Publishers: each takes the already-redacted journal to one destination.

Every publisher is a function ``publish(spec, ctx) -> str`` (the returned text says where it went)
that raises :class:`PublishError` (``retryable`` or not) or any ``OSError``; retries, timing and
reporting live in :mod:`chaosguard.journal.publish`. The directory publisher runs first and sets
``ctx.run_dir``, which the others use for their default paths.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaosguard.errors import ChaosGuardError
from chaosguard.journal.facts import RunFacts

__all__ = ["PublishContext", "PublishError", "registry", "expand_path"]


class PublishError(ChaosGuardError):
    """A publisher failed; ``retryable`` says whether trying again may help (never leaves
    publish_journal)."""

    def __init__(
        self, message: str, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        #: seconds the server asked us to wait (``Retry-After``), if it did
        self.retry_after = retry_after


@dataclass
class PublishContext:
    """What publishers share for one run: the redacted journal, its facts, the environment, the
    run dir."""

    journal: dict[str, Any]
    facts: RunFacts
    env: Mapping[str, str]
    run_dir: Path | None = None

    @property
    def timestamp(self) -> str:
        """UTC start of the run as ``20261126T122344Z`` (now, when the journal has no start)."""
        return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.facts.start or time.time()))


def expand_path(template: str, ctx: PublishContext) -> Path:
    """``template`` with ``{run_dir}``, ``{slug}`` and ``{timestamp}`` filled in (nothing else is
    special)."""
    if "{run_dir}" in template and ctx.run_dir is None:
        raise PublishError(
            "no run directory to write into: the directory publisher failed", retryable=False
        )
    text = template.replace("{run_dir}", str(ctx.run_dir)).replace("{slug}", ctx.facts.slug)
    return Path(text.replace("{timestamp}", ctx.timestamp)).expanduser()


def registry() -> dict[str, Callable[[Any, PublishContext], str]]:
    """Publisher type → its ``publish`` function (imported here, on demand)."""
    from chaosguard.journal.publishers import directory, html, junit, markdown, pushgateway, webhook

    return {
        "directory": directory.publish,
        "webhook": webhook.publish,
        "pushgateway": pushgateway.publish,
        "junit": junit.publish,
        "markdown": markdown.publish,
        "html": html.publish,
    }
