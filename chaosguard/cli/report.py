"""``chaos report``: the self-contained HTML report (and optionally JUnit XML / Markdown) of journals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from chaosguard.cli._exit import CommandFailed, ExitCode

__all__ = ["report"]


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandFailed(f"cannot read {path}: {exc.strerror or exc}", ExitCode.ERROR) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CommandFailed(f"{path} is not a JSON journal: {exc}", ExitCode.ERROR) from None
    if not isinstance(data, dict) or "experiment" not in data:
        raise CommandFailed(
            f"{path} is not a Chaos Toolkit journal (no 'experiment' key)", ExitCode.ERROR
        )
    return data


@click.command("report")
@click.argument(
    "journals",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="HTML file to write.",
)
@click.option(
    "--title",
    default=None,
    help="Report title (default: the experiment's title, or 'Chaos suite').",
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a JUnit XML file (one test case per journal).",
)
@click.option(
    "--markdown",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a Markdown summary.",
)
def report(
    journals: tuple[Path, ...],
    output: Path,
    title: str | None,
    junit: Path | None,
    markdown: Path | None,
) -> None:
    """Render the HTML report of JOURNAL... (secrets redacted, CSS and plots inline, no external URL)."""
    from chaosguard.journal import render_markdown, render_report, write_junit
    from chaosguard.journal.facts import facts_of

    docs = [_load(p) for p in journals]
    if title is None:
        title = (
            f"Chaos run: {facts_of(docs[0]).title}"
            if len(docs) == 1
            else f"Chaos suite: {len(docs)} runs"
        )
    try:
        written = [render_report(docs, output, title)]
        if junit is not None:
            written.append(write_junit(docs, junit, "chaosguard"))
        if markdown is not None:
            from chaosguard.ledger.files import atomic_write

            written.append(atomic_write(markdown, render_markdown(docs).encode("utf-8")))
    except OSError as exc:
        raise CommandFailed(f"cannot write the report: {exc}", ExitCode.ERROR) from None
    for path in written:
        click.echo(f"wrote {path}")
