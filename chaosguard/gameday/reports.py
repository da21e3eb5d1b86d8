"""The files a game day leaves in its output directory.

* ``summary.json`` — the suite result (exit code, score, every experiment's outcome and reason);
* ``junit.xml`` — one test case per experiment (``chaosguard.journal.write_junit``);
* ``report.html`` — the suite report (``chaosguard.journal.render_report``);
* ``summary.md`` — a Markdown summary (for ``$GITHUB_STEP_SUMMARY``;
  ``chaosguard.journal.render_markdown``).

Every file is written atomically with mode 0600 (:mod:`chaosguard.journal.files`).

The journal writers live in :mod:`chaosguard.journal` and are imported when a report is written
(matplotlib comes with the HTML report). A writer that fails is an error of the suite (exit 4): a
pipeline must not pass without its test report.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chaosguard.gameday.results import SuiteResult
from chaosguard.journal.files import private_write

__all__ = ["markdown_header", "write_reports", "write_summary"]

logger = logging.getLogger("chaostoolkit")


def markdown_header(result: SuiteResult) -> str:
    """The suite table in Markdown: verdict, score, one row per experiment (with its canary
    verdict and score)."""
    score = "n/a" if result.score is None else f"{result.score:.0f}/100"
    lines = [
        f"# Game day: {result.name}",
        "",
        (
            f"**{result.verdict.name.lower()}** (exit code {int(result.verdict)}) · "
            f"resilience score **{score}**"
        ),
        "",
    ]
    if result.stopped:
        lines += [f"Stopped: {result.stopped}", ""]
    lines += [
        "| # | experiment | outcome | canary | weight | duration | reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result.results:
        reason = (r.reason or "").replace("|", "\\|")
        c = r.canary_score
        canary = f"{r.canary.get('verdict')} {c:.0f}/100" if c is not None else "–"
        lines.append(
            f"| {r.index + 1} | {r.name.replace('|', '/')} | {r.outcome} | {canary} | "
            f"{r.weight:g} | {r.duration_s:.1f} s | {reason} |"
        )
    return "\n".join(lines) + "\n"


def _call(result: SuiteResult, key: str, name: str, fn: Callable[[], Any]) -> None:
    try:
        fn()
    except Exception as exc:
        logger.debug("gameday: %s failed", name, exc_info=True)
        result.reports[key] = None
        result.errors.append(
            f"{key}: chaosguard.journal.{name} failed: {type(exc).__name__}: {exc}"
        )


def write_reports(result: SuiteResult) -> None:
    """Write JUnit, HTML and Markdown; ``result.reports`` and ``errors`` say how it went."""
    from chaosguard import journal

    out = result.output_dir
    journals = [r.report_journal(result.name) for r in result.results]
    score = "n/a" if result.score is None else f"{result.score:.0f}/100"
    title = f"Game day {result.name}: {result.verdict.name.lower()}, resilience score {score}"

    def junit() -> None:
        path = journal.write_junit(journals, out / "junit.xml", result.name)
        result.reports["junit"] = str(path)

    def html() -> None:
        result.reports["html"] = str(journal.render_report(journals, out / "report.html", title))

    def markdown() -> None:
        body = journal.render_markdown(journals)
        path = private_write(out / "summary.md", (markdown_header(result) + "\n" + body).encode())
        result.reports["markdown"] = str(path)

    _call(result, "junit", "write_junit", junit)
    _call(result, "html", "render_report", html)
    _call(result, "markdown", "render_markdown", markdown)
    if result.reports.get("markdown") is None:
        private_write(out / "summary.md", markdown_header(result).encode())
        result.reports["markdown"] = str(out / "summary.md")


def write_summary(result: SuiteResult) -> Path:
    """Write ``summary.json`` (last: it records what the other writers did)."""
    path = result.output_dir / "summary.json"
    result.reports["summary"] = str(path)
    return private_write(path, (json.dumps(result.as_dict(), indent=2) + "\n").encode())
