"""HTML report publisher: the run's self-contained report (default ``<run dir>/report.html``)."""

from __future__ import annotations

from chaosguard.journal.config import HtmlPublisher
from chaosguard.journal.publishers import PublishContext, expand_path

__all__ = ["publish"]


def publish(spec: HtmlPublisher, ctx: PublishContext) -> str:
    """Render the report of ``ctx.journal``; return its path."""
    from chaosguard.journal.report import render_report

    title = spec.title or f"Chaos run: {ctx.facts.title}"
    return str(render_report([ctx.journal], expand_path(spec.path, ctx), title))
