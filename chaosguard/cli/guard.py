"""``chaos guard``: the policy schemas, and a dry check of an experiment against the policy.

Exit codes: 0 the experiment would run · 3 the policy would refuse it · 4 invalid input (experiment,
policy, guards or command line: one ``Error: ...`` line, never a traceback).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

import click

from chaosguard.cli.boundary import Group
from chaosguard.errors import ChaosGuardError, InvalidArgument, Refused

__all__ = ["guard"]

Row = tuple[str, bool | None, str]  # check, verdict (None = judged at run time), why


@click.group("guard", cls=Group)
def guard() -> None:
    """Policy of guarded experiments: its JSON Schema, a dry check of an experiment against it."""


@guard.command("schema")
@click.argument("which", type=click.Choice(["all", "policy", "experiment"]), default="all")
def schema(which: str) -> None:
    """Print the JSON Schema of the policy file (policy), of the experiment's chaosguard extension
    block (experiment), or both as {"policy": ..., "experiment": ...} (all, the default)."""
    from chaosguard.policy.schema import all_schemas

    document = all_schemas()
    click.echo(json.dumps(document if which == "all" else document[which], indent=2))


def _parse_at(at: str | None) -> datetime:
    if at is None:
        return datetime.now().astimezone()
    try:
        when = datetime.fromisoformat(at.strip())
    except ValueError:
        raise InvalidArgument(
            "--at", f"expected an ISO 8601 time like 2026-12-24T10:00+01:00 (got {at!r})"
        ) from None
    return when if when.tzinfo is not None else when.astimezone()  # naive = this machine's zone


@guard.command("check")
@click.argument("experiment", metavar="EXPERIMENT")
@click.option(
    "--policy",
    "policy_file",
    default=None,
    metavar="FILE",
    help="The operator's policy file (YAML or JSON); default $CHAOSGUARD_POLICY, else the "
    "built-in defaults. What the experiment says (its control's policy_file, its extension "
    "block) is merged in, stricter wins, exactly as at run time.",
)
@click.option(
    "--at",
    default=None,
    metavar="ISO-TIME",
    help="Judge time windows and freezes at this time (default now; no offset = local time).",
)
def check(experiment: str, policy_file: str | None, at: str | None) -> None:
    """Validate EXPERIMENT, its guards and the policy, and show what the policy would refuse.

    Runs nothing. Judges the rules that need no live system: kill switch, time window, freeze,
    unguarded experiment, and the local blast radius of literal action arguments. Needs none of
    the run's environment: a configuration or secret read from an unset variable is judged at run
    time, and listed ("the run will need: ..."). Exit 0 when the experiment would run, 3 when the
    policy refuses it, 4 on invalid input.
    """
    _check(experiment, policy_file, _parse_at(at))


def _check(path: str, policy_file: str | None, now: datetime) -> None:
    from rich.console import Console

    from chaosguard.guard.document import deferred_env
    from chaosguard.guard.wiring import run_policy
    from chaosguard.policy import load_guards, preflight_checks
    from chaosguard.policy.experiment import check_experiment, load_experiment
    from chaosguard.policy.load import experiment_policy_files, policy_file_path

    experiment, needs = deferred_env(load_experiment(path))
    problems = check_experiment(experiment)
    if len(problems) == 1:
        raise ChaosGuardError(problems[0])  # the problem names its field: "title: expected ..."
    if problems:
        for problem in problems:
            click.echo(f"Problem: {problem}", err=True)
        raise ChaosGuardError(f"{len(problems)} problems in {path} (listed above)")
    policy = run_policy(policy_file, experiment)
    guards = load_guards(experiment)
    source = policy_file_path(policy_file) or "built-in defaults"
    theirs = experiment_policy_files(experiment)
    if theirs:
        source += f", made stricter by the experiment's {', '.join(theirs)}"
    rows: list[Row] = [(c.name, c.ok, c.detail) for c in preflight_checks(policy, guards, now)]
    rows += _python_guard_rows(policy, guards)
    rows += _local_rows(policy, experiment)
    rows += _live_rows(policy)
    rows += _env_rows(needs)
    console = Console(highlight=False, soft_wrap=False, width=max(Console().width, 120))
    console.print(_table(rows, f"chaos guard check {path} at {now.isoformat(timespec='minutes')}"))
    console.print(f"policy: {source} ({policy.digest()[:19]})")
    refused = [f"{name}: {detail}" for name, ok, detail in rows if ok is False]
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise Refused(f"refused by policy: {refused[0]}{more}")
    console.print("would run: the policy refuses nothing that can be checked before the run")
    unset = sorted({key for key, _ in needs if key not in os.environ})
    if unset:
        console.print(f"the run will need: {', '.join(unset)} (environment, not set here)")


def _env_rows(needs: list[tuple[str, str]]) -> list[Row]:
    """One row per environment variable the run reads (without a default)."""
    rows: list[Row] = []
    for key in dict.fromkeys(k for k, _ in needs):
        where = ", ".join(w for k, w in needs if k == key)
        if key in os.environ:
            rows.append((f"env {key}", True, f"set here ({where} reads it)"))
        else:
            rows.append((f"env {key}", None, f"not set here: the run needs it ({where})"))
    return rows


def _python_guard_rows(policy: Any, guards: list[Any]) -> list[Row]:
    from chaosguard.policy import check_python_guard

    rows: list[Row] = []
    for spec in guards:
        if getattr(spec, "source", None) != "python":
            continue
        try:
            check_python_guard(policy, spec.func, spec.name)
        except ChaosGuardError as exc:
            rows.append((f"guard {spec.name}", False, str(exc).removeprefix("refused: ")))
        else:
            rows.append((f"guard {spec.name}", True, f"{spec.func}: python_modules allow it"))
    return rows


def _local_rows(policy: Any, experiment: dict[str, Any]) -> list[Row]:
    from chaosguard.policy.experiment import iter_activities
    from chaosguard.policy.local import LOCAL_ACTIONS, check_local

    rows: list[Row] = []
    for where, activity in iter_activities(experiment):
        provider = activity.get("provider")
        if not isinstance(provider, dict) or provider.get("type") != "python":
            continue
        func = provider.get("func")
        if func not in LOCAL_ACTIONS or provider.get("module") != LOCAL_ACTIONS[func]:
            continue
        name = f"blast radius {where}"
        try:
            check_local(policy, f"{provider['module']}:{func}", provider.get("arguments") or {})
        except Refused as exc:
            rows.append((name, False, str(exc).removeprefix("refused: ")))
        else:
            rows.append((name, True, f"{func}: within policy.local"))
    return rows


def _live_rows(policy: Any) -> list[Row]:
    rows: list[Row] = [
        (
            "kubernetes targets",
            None,
            ("namespaces, selectors, max_targets, PDBs: checked before each action at run time"),
        )
    ]
    if policy.guard.error_budget_floor > 0:
        floor = policy.guard.error_budget_floor
        rows.append(("error budget", None, f"floor {floor:g}: read from the guards at run time"))
    return rows


def _table(rows: list[Row], title: str) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("check", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("why")
    for name, ok, detail in rows:
        verdict = (
            "[green]ok[/]"
            if ok
            else "[bold red]REFUSED[/]"
            if ok is False
            else "[dim]at run time[/]"
        )
        table.add_row(escape(name), verdict, escape(detail))
    return table
