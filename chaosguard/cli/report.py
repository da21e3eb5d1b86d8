"""``chaos report``: the self-contained HTML report of journals (and JUnit XML, Markdown).

Every file is written 0600 (directories it creates 0700). Exit codes: 0 written · 4 invalid
input (a bad command line, a file that is not a journal, a path that cannot be read or written:
one ``Error: ...`` line, never a traceback).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from chaosguard.cli.boundary import Command
from chaosguard.errors import InvalidArgument

__all__ = ["report"]


def _load(path: Path) -> dict[str, Any]:
    """The journal at ``path``; one that cannot be read fails at the boundary (exit 4)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArgument("journal", f"{path} is not a JSON journal: {exc}") from None
    if not isinstance(data, dict) or "experiment" not in data:
        raise InvalidArgument(
            "journal", f"{path} is not a Chaos Toolkit journal (no 'experiment' key)"
        )
    return data


@click.command("report", cls=Command)
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
    """Render the HTML report of JOURNAL... (secrets redacted, CSS and plots inline, no URL)."""
    from chaosguard.journal import render_markdown, render_report, write_junit
    from chaosguard.journal.facts import facts_of

    docs = [_load(p) for p in journals]
    if title is None:
        title = (
            f"Chaos run: {facts_of(docs[0]).title}"
            if len(docs) == 1
            else f"Chaos suite: {len(docs)} runs"
        )
    written = [render_report(docs, output, title)]
    if junit is not None:
        written.append(write_junit(docs, junit, "chaosguard"))
    if markdown is not None:
        from chaosguard.journal.files import private_write

        written.append(private_write(markdown, render_markdown(docs).encode("utf-8")))
    for path in written:
        click.echo(f"wrote {path}")
