"""What happens to a journal after the run: redaction, publishers, JUnit, Markdown, the HTML report.

One job: take the journal ``chaos run`` wrote (guarded or not) to wherever it must go, with every
secret hidden; it reads journals, never the guard or the actions.
``publish_journal(journal, settings)`` (:mod:`~chaosguard.journal.publish`) runs at the very end of
every experiment (the guard's after-experiment hook, or the :mod:`~chaosguard.journal.control`
control for unguarded ones): it redacts the journal once, writes the directory archive first, then
runs the webhook, Pushgateway, JUnit, Markdown and HTML publishers the settings configure, with
bounded retries. Its modules: ``config`` validates the publishers configuration (settings block and
``$CHAOSGUARD_PUBLISHERS``); ``redact`` hides secrets by name, by value and by shape; ``facts`` and
``steps`` read the few facts and the step rows every output needs; ``publishers`` holds one module
per destination (``directory``, ``webhook`` and ``pushgateway`` over a shared HTTP sender,
``junit``, ``markdown``, ``html``); ``report`` renders the self-contained HTML report (also
``chaos report``), whose ``timeline`` is drawn by matplotlib. Names are imported on first use, so a
run with nothing to publish imports almost nothing; matplotlib is imported only when a report is
rendered.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "PublishResult",
    "PublishersConfig",
    "load_config",
    "publish_journal",
    "redact_journal",
    "render_markdown",
    "render_report",
    "write_junit",
]

_HOMES = {
    "PublishResult": "chaosguard.journal.publish",
    "publish_journal": "chaosguard.journal.publish",
    "PublishersConfig": "chaosguard.journal.config",
    "load_config": "chaosguard.journal.config",
    "redact_journal": "chaosguard.journal.redact",
    "render_markdown": "chaosguard.journal.publishers.markdown",
    "render_report": "chaosguard.journal.report",
    "write_junit": "chaosguard.journal.publishers.junit",
}

if TYPE_CHECKING:
    from chaosguard.journal.config import PublishersConfig, load_config
    from chaosguard.journal.publish import PublishResult, publish_journal
    from chaosguard.journal.publishers.junit import write_junit
    from chaosguard.journal.publishers.markdown import render_markdown
    from chaosguard.journal.redact import redact_journal
    from chaosguard.journal.report import render_report


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'chaosguard.journal' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
