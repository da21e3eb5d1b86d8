"""``chaos gameday``: run a suite of guarded experiments, print its JSON Schema, schedule it.

Exit codes of ``chaos gameday run``: 0 every experiment met its hypothesis · 1 a hypothesis deviated
· 2 a guard aborted an experiment · 3 refused by policy or preflight · 4 error (invalid input,
infrastructure, chaos crashed) — the worst across the suite, by the precedence 4 > 2 > 1 > 3 > 0
(:mod:`chaosguard.gameday.verdict`). A verdict other than 0 ends the command as the error that
carries its code (:data:`VERDICT_ERRORS`), through :mod:`chaosguard.cli.boundary` like any other
error: one ``Error: ...`` line, never a traceback. ``schema`` and ``schedule`` exit 0, or 4 on
invalid input.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

import click

from chaosguard.cli.boundary import Group
from chaosguard.cli.gameday_schedule import schedule
from chaosguard.errors import (
    Aborted,
    ChaosGuardError,
    Deviated,
    ExitCode,
    InvalidArgument,
    Refused,
)

__all__ = ["gameday"]

#: The error a game day's verdict ends the command with (its class carries the exit code).
VERDICT_ERRORS: dict[ExitCode, type[ChaosGuardError]] = {
    error.exit_code: error for error in (Deviated, Aborted, Refused, ChaosGuardError)
}


@click.group("gameday", cls=Group)
def gameday() -> None:
    """Game days: run a suite of guarded experiments, print the suite schema, schedule a suite."""


def _is_suite(data: Any) -> bool:
    return isinstance(data, dict) and "experiments" in data and "method" not in data


def _guards_file(path: str | None) -> list[Any]:
    if path is None:
        return []
    from chaosguard.gameday.suite import expand_env
    from chaosguard.policy.load import read_document

    data = expand_env(read_document(path, "--guards"), os.environ, f"in {path}")
    if isinstance(data, dict) and "guards" in data:
        data = data["guards"]
    if not isinstance(data, list):
        raise InvalidArgument(
            "--guards", f"{path}: expected a list of guards (or a mapping with 'guards')"
        )
    return data


def _absolute(path: str | None, option: str) -> str | None:
    if path is None:
        return None

    target = Path(path).expanduser()
    if not target.is_file():
        raise InvalidArgument(option, f"file not found: {path}")
    return str(target.resolve())


def _load(
    files: tuple[str, ...],
    name: str | None,
    policy: str | None,
    guards: str | None,
    continue_on_abort: bool,
    chaos_args: str | None,
) -> Any:
    from chaosguard.gameday.suite import load_suite, suite_from_experiments
    from chaosguard.policy.load import read_document

    extra_guards = _guards_file(guards)
    try:
        extra_args = shlex.split(chaos_args or "")
    except ValueError as exc:
        raise InvalidArgument("--chaos-args", str(exc)) from None
    raw = read_document(files[0], "suite") if len(files) == 1 else None
    if isinstance(raw, dict) and _is_suite(raw):
        overrides: dict[str, Any] = {}
        if name:
            overrides["name"] = name
        if policy:
            overrides["policy"] = _absolute(policy, "--policy")
        if extra_guards:
            overrides["guards"] = list(raw.get("guards") or []) + extra_guards
        if continue_on_abort:
            overrides["continue_on_abort"] = True
        if extra_args:
            overrides["chaos_args"] = list(raw.get("chaos_args") or []) + extra_args
        return load_suite(files[0], overrides=overrides)
    plan = suite_from_experiments(
        list(files), name or "game day", _absolute(policy, "--policy"), extra_guards
    )
    updates: dict[str, Any] = {}
    if continue_on_abort:
        updates["continue_on_abort"] = True
    if extra_args:
        updates["chaos_args"] = tuple(extra_args)
    if updates:
        from dataclasses import replace

        plan = replace(plan, suite=plan.suite.model_copy(update=updates))
    return plan


@gameday.command("run")
@click.argument("files", nargs=-1, required=True, metavar="SUITE.yaml | EXPERIMENT...")
@click.option(
    "-o",
    "--output-dir",
    default=None,
    metavar="DIR",
    help="Where journals and reports go ({name} and {time} are replaced); default: the suite's "
    "output_dir, else runs/{name}-{time}.",
)
@click.option(
    "--policy",
    default=None,
    metavar="FILE",
    help="Policy file shared by every experiment (replaces the suite's).",
)
@click.option(
    "--guards", default=None, metavar="FILE", help="YAML list of guards added to the suite's."
)
@click.option("--name", default=None, help="Suite name (JUnit suite, report title).")
@click.option(
    "--continue-on-abort", is_flag=True, help="Keep going after a guard aborted an experiment."
)
@click.option(
    "--chaos-args",
    default=None,
    metavar="ARGS",
    help="Extra `chaos run` arguments for every experiment, as one shell-quoted string.",
)
@click.option("--dry-run", is_flag=True, help="Validate everything and show the plan; run nothing.")
def run(
    files: tuple[str, ...],
    output_dir: str | None,
    policy: str | None,
    guards: str | None,
    name: str | None,
    continue_on_abort: bool,
    chaos_args: str | None,
    dry_run: bool,
) -> None:
    """Run SUITE.yaml (or the EXPERIMENT files, in order) as a game day: each experiment in its own
    guarded `chaos run`, the suite SLOs healthy again before the next one; then JUnit, HTML report,
    summary and resilience score in the output directory. Exit code: the worst outcome, 0 met ·
    1 deviated · 2 aborted by a guard · 3 refused · 4 error (precedence 4 > 2 > 1 > 3 > 0)."""
    from chaosguard.gameday.progress import RichEvents
    from chaosguard.gameday.runner import run_gameday

    plan = _load(files, name, policy, guards, continue_on_abort, chaos_args)
    if dry_run:
        _show_plan(plan)
        return
    result = run_gameday(plan, Path(output_dir) if output_dir else None, RichEvents())
    if result.verdict is not ExitCode.OK:
        raise VERDICT_ERRORS[result.verdict](_verdict_line(result))


def _show_plan(plan: Any) -> None:
    """Print what a run would do (``--dry-run``)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from chaosguard.gameday.launch import control_arguments

    suite = plan.suite
    console = Console(highlight=False, soft_wrap=True)
    table = Table(title=f"game day {escape(suite.name)}: valid, nothing run", title_justify="left")
    for col in (
        "#",
        "experiment",
        "file",
        "weight",
        "timeout",
        "guards added",
        "chaos run arguments",
    ):
        table.add_column(col)
    for p in plan.experiments:
        args = control_arguments(suite.policy, suite.guards, p.document)[0]
        table.add_row(
            str(p.index + 1),
            escape(p.name),
            escape(p.ref.path),
            f"{p.ref.weight:g}",
            f"{p.ref.timeout_s or suite.experiment_timeout_s:g} s",
            escape(", ".join(str(g.get("name")) for g in args.get("guards", [])) or "-"),
            escape(" ".join([*suite.chaos_args, *p.ref.chaos_args]) or "-"),
        )
    console.print(table)
    console.print(
        f"policy: {escape(suite.policy or 'CHAOSGUARD_POLICY or built-in defaults')} "
        f"({plan.policy.digest()[:19]})"
    )
    rec = suite.recovery
    console.print(
        f"between experiments: suite guards healthy for {rec.settle_s:g} s, at most "
        f"{rec.timeout_s:g} s (then {rec.on_timeout}); on abort: "
        f"{'continue' if suite.continue_on_abort else 'stop'}; on error: "
        f"{'continue' if suite.continue_on_error else 'stop'}"
    )


def _verdict_line(result: Any) -> str:
    score = "n/a" if result.score is None else f"{result.score:.0f}/100"
    first = next(
        (
            r
            for r in result.results
            if int(r.verdict) == int(result.verdict) and r.outcome != "skipped"
        ),
        None,
    )
    why = (
        f"experiment {first.index + 1} '{first.name}' {first.outcome}"
        + (f": {first.reason}" if first.reason else "")
        if first is not None
        else (result.errors[0] if result.errors else "")
    )
    return f"game day {result.verdict.name.lower()} (score {score}): {why}"


@gameday.command("schema")
def schema() -> None:
    """Print the JSON Schema of a suite file."""
    from chaosguard.gameday.suite import suite_schema

    click.echo(json.dumps(suite_schema(), indent=2))


gameday.add_command(schedule)
