"""Run the demo: build the topology, ``chaos run`` the experiment on it, summarize the journal."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from chaosguard.demo.topology import PROXY_NAME, Topology

__all__ = ["main"]

REPO = Path(__file__).resolve().parents[2]
DEFAULT_EXPERIMENT = REPO / "experiments" / "demo" / "latency-slo.yaml"


def _chaos() -> str:
    local = Path(sys.executable).with_name("chaos")
    return str(local) if local.exists() else "chaos"


def _summary(console: Console, journal: dict[str, Any]) -> None:
    table = Table(
        title=f"Journal: {journal.get('experiment', {}).get('title', '')}", title_justify="left"
    )
    for col in ("phase", "step", "status", "output"):
        table.add_column(col)
    before = (journal.get("steady_states") or {}).get("before") or {}
    after = (journal.get("steady_states") or {}).get("after") or {}
    for phase, state in (("hypothesis before", before), ("hypothesis after", after)):
        for probe in state.get("probes") or []:
            table.add_row(
                phase,
                probe["activity"]["name"],
                "met" if probe.get("tolerance_met") else "NOT met",
                _short(probe.get("output")),
            )
    for phase, runs in (
        ("method", journal.get("run") or []),
        ("rollbacks", journal.get("rollbacks") or []),
    ):
        for run in runs:
            table.add_row(
                phase,
                run["activity"]["name"],
                run.get("status", "interrupted"),
                _short(run.get("output")),
            )
    console.print(table)
    guard = journal.get("chaosguard") or {}
    outcome = guard.get("outcome") or (
        "deviated" if journal.get("deviated") else journal.get("status")
    )
    console.print(
        f"Outcome: [bold]{outcome}[/] (status {journal.get('status')}, "
        f"deviated {journal.get('deviated')}, {journal.get('duration', 0):.1f} s)"
    )
    breach = guard.get("breach")
    if breach:
        took = (breach["faults_reverted_at"] - breach["observed_at"]) * 1000
        console.print(
            f"Guard [bold]{breach['guard']}[/] read {breach['value']:.0f} "
            f"(objective {breach['threshold']}); "
            f"every fault reverted {took:.0f} ms after that reading: "
            + ", ".join(f"{r['kind']} {r['outcome']}" for r in breach["reverted"])
        )
    recheck = guard.get("steady_state_after_abort") or {}
    for probe in recheck.get("probes") or []:
        console.print(
            f"After the abort: {probe['activity']['name']} = {_short(probe.get('output'))} "
            f"({'met' if probe.get('tolerance_met') else 'NOT met'})"
        )


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dict) and isinstance(value.get("toxic"), dict):
        toxic = value["toxic"]
        return f"latency now {toxic.get('latency_ms', 0):g} ms ({toxic.get('direction')})"
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def _publishers(runs_dir: Path, work: Path) -> Path:
    """A publishers file: the journal archived under ``runs_dir`` with its HTML report beside it."""
    path = work / "publishers.yaml"
    path.write_text(json.dumps([{"type": "directory", "root": str(runs_dir)}, {"type": "html"}]))
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 when the experiment ran and its journal was archived."""
    parser = argparse.ArgumentParser(prog="python -m chaosguard.demo", description=__doc__)
    parser.add_argument("--experiment", type=Path, default=DEFAULT_EXPERIMENT)
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"))
    parser.add_argument(
        "--serve",
        action="store_true",
        help="Only start the demo world (service, proxy, users), print the variables to export "
        "and keep it up until Ctrl-C/SIGTERM, for chaos run / chaos gameday run by hand.",
    )
    args = parser.parse_args(argv)
    if args.serve:
        from chaosguard.demo.serve import serve

        return serve()
    console = Console(highlight=False)
    args.runs_dir.mkdir(parents=True, exist_ok=True)
    before = set(args.runs_dir.iterdir())
    with tempfile.TemporaryDirectory(prefix="chaosguard-demo-") as work, Topology() as topo:
        console.rule("[bold]chaosguard demo")
        console.print(f"service  127.0.0.1:{topo.service_port}  (15–45 ms per request)")
        console.print(
            f"proxy    {topo.proxy['listen']} → service   (chaosguard latency proxy '{PROXY_NAME}')"
        )
        console.print(f"users    20 req/s → {topo.url}")
        console.print(f"running  chaos run {args.experiment}")
        console.rule()
        env = {
            **os.environ,
            "DEMO_SERVICE_URL": topo.url,
            "DEMO_PROXY_NAME": PROXY_NAME,
            "CHAOSGUARD_PUBLISHERS": str(_publishers(args.runs_dir.resolve(), Path(work))),
        }
        proc = subprocess.run(
            [
                _chaos(),
                "--no-version-check",
                "--log-file",
                str(Path(work) / "chaostoolkit.log"),
                "run",
                "--journal-path",
                str(Path(work) / "journal.json"),
                str(args.experiment),
            ],
            env=env,
        )
        leftover = topo.close()
    console.rule()
    archived = sorted(
        d for d in set(args.runs_dir.iterdir()) - before if (d / "journal.json").exists()
    )
    if not archived:
        console.print(f"[red]chaos run exited {proc.returncode} without archiving a journal[/]")
        return 1
    run_dir = archived[-1]
    _summary(console, json.loads((run_dir / "journal.json").read_text()))
    console.print(f"chaos run exit code: {proc.returncode}")
    console.print(f"Journal: [bold]{run_dir / 'journal.json'}[/]")
    if (run_dir / "report.html").exists():
        console.print(f"Report:  [bold]{run_dir / 'report.html'}[/]")
    console.print(
        "Every process the demo started is stopped"
        + (f" (had to kill {leftover})" if leftover else ".")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
