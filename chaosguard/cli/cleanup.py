"""``chaos cleanup``: revert every open fault of every dead run, and say what was done."""

from __future__ import annotations

import os
from pathlib import Path

import click

from chaosguard.cli.boundary import Command
from chaosguard.errors import RevertError

__all__ = ["cleanup"]


@click.command("cleanup", cls=Command)
@click.option("--dry-run", is_flag=True, help="List what would be reverted; change nothing.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="chaosguard state directory (default: $CHAOSGUARD_HOME or ~/.local/state/chaosguard).",
)
@click.option(
    "--run",
    "run_id",
    default=None,
    metavar="ID",
    help="Only this run (see chaos ledger list); refused while its runner lives.",
)
def cleanup(dry_run: bool, state_dir: Path | None, run_id: str | None) -> None:
    """Revert the faults left open by runs whose runner died (SIGKILL, crash, lost node).

    --run ID reverts one run's faults only (exit 3 while its runner lives; the Chaos Mesh label
    sweep, which is not per run, is skipped).

    Only records that re-validate are acted on; ledger files that do not are moved to
    ledger/quarantine/ and listed. --dry-run shows the exact targets. Exit codes: 0 nothing left
    open · 3 the state directory is not ours alone · 4 a fault could not be reverted (it stays
    open for the next cleanup), a record was refused or a file quarantined, or invalid input.
    """
    from rich.console import Console
    from rich.table import Table

    from chaosguard.faults.cleanup import sweep
    from chaosguard.ledger.paths import state_dir as default_state_dir

    root = state_dir or default_state_dir()
    if state_dir is not None:
        os.environ["CHAOSGUARD_HOME"] = str(state_dir)
    # dead runs' records, then labelled Chaos Mesh objects (with --run: that run's records only)
    items = sweep(root, dry_run=dry_run, run_id=run_id)
    console = Console(highlight=False)
    if not items:
        whose = f"run {run_id}" if run_id else "a dead run"
        console.print(f"Nothing open: no fault of {whose} is left in {root}.")
        return
    table = Table(title="Dry run: would revert" if dry_run else "Reverted leftovers of dead runs")
    for col in ("run", "runner pid", "record", "kind", "outcome"):
        table.add_column(col)
    for item in items:
        record = item.record_id.rsplit(".", 1)[-1]
        table.add_row(item.run_id, str(item.pid), record, item.kind, item.outcome)
    console.print(table)
    targets = [i for i in items if i.target]
    if targets:  # the exact targets, one per line, never cut
        console.print("Targets:")
        for item in targets:
            record = item.record_id.rsplit(".", 1)[-1]
            console.print(f"  {record} {item.kind}: {item.target}", soft_wrap=True)
    failed = [i for i in items if i.outcome.startswith("failed")]
    untrusted = [i for i in items if i.failed and not i.outcome.startswith("failed")]
    if dry_run:  # a listing: what is wrong is in the table, the real run exits non-zero
        return
    if failed:
        raise RevertError(
            f"{len(failed)} fault(s) could not be reverted; they stay open for the next cleanup"
        )
    if untrusted:
        raise RevertError(
            f"{len(untrusted)} ledger item(s) refused or quarantined in "
            f"{root / 'ledger' / 'quarantine'}: check by hand whether their fault is still there"
        )
