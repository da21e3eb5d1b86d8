"""``chaos ledger``: what the fault ledger of this machine holds.

``chaos ledger list`` shows every run's open faults: kind, the exact targets a revert acts on, when
it was opened, and whether the run's owner (its runner process) is alive — a dead owner's faults
are what ``chaos cleanup`` (or ``chaos cleanup --run ID``) reverts. ``--json`` prints the same as
one JSON document. Changes nothing; exit 0, or 3/4 when the state directory cannot be read.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

import click

from chaosguard.cli.boundary import Command, Group

__all__ = ["ledger"]


@click.group("ledger", cls=Group)
def ledger() -> None:
    """Inspect the fault ledger of this machine."""


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@ledger.command("list", cls=Command)
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="chaosguard state directory (default: $CHAOSGUARD_HOME or ~/.local/state/chaosguard).",
)
def list_(as_json: bool, state_dir: Path | None) -> None:
    """List every open fault of every run on this machine: run, record, kind, target, when it
    was opened, and whether its owner is alive (dead: `chaos cleanup --run RUN` reverts it)."""
    from chaosguard.faults.cleanup import open_faults
    from chaosguard.ledger.paths import state_dir as default_state_dir

    root = state_dir or default_state_dir()
    if state_dir is not None:
        os.environ["CHAOSGUARD_HOME"] = str(state_dir)
    faults = open_faults(root)
    if as_json:
        doc = {
            "state_dir": str(root),
            "open": [
                {
                    "run_id": f.run_id,
                    "record_id": f.record_id,
                    "kind": f.kind,
                    "target": f.target,
                    "opened_at": f.opened_at,
                    "opened": datetime.fromtimestamp(f.opened_at).astimezone().isoformat()
                    if f.opened_at
                    else None,
                    "owner": {"pid": f.pid, "host": f.host, "state": f.owner},
                }
                for f in faults
            ],
        }
        click.echo(json.dumps(doc, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False, width=max(Console().width, 120))
    if not faults:
        console.print(f"Nothing open: no fault is open in the ledger of {root}.")
        return
    table = Table(title=f"Open faults in {root}", title_justify="left")
    for col in ("run", "owner", "record", "kind", "opened"):
        table.add_column(col, no_wrap=True)
    now = time.time()
    for f in faults:
        owner = {"alive": "[green]alive[/]", "dead": "[bold red]dead[/]"}.get(f.owner, f.owner)
        opened = (
            datetime.fromtimestamp(f.opened_at).strftime("%Y-%m-%d %H:%M:%S")
            + f" ({_age(now - f.opened_at)} ago)"
            if f.opened_at
            else "-"
        )
        record = f.record_id.rsplit(".", 1)[-1]
        table.add_row(
            escape(f.run_id), f"{owner} pid {f.pid}", escape(record), escape(f.kind), opened
        )
    console.print(table)
    console.print("Targets:")  # the exact targets, one per line, never cut
    for f in faults:
        record = f.record_id.rsplit(".", 1)[-1]
        console.print(f"  {escape(record)} {escape(f.kind)}: {escape(f.target)}", soft_wrap=True)
    dead = sorted({f.run_id for f in faults if f.owner == "dead"})
    if dead:
        console.print(
            f"{len(dead)} run(s) with a dead owner: `chaos cleanup` reverts them all, "
            f"`chaos cleanup --run {dead[0]}` one.",
            soft_wrap=True,
        )
