"""The suite file: which experiments a game day runs, in which order, under which policy and guards.

Example (``experiments/suites/demo.yaml``)::

    name: demo-latency
    policy: ../policy.example.yaml        # relative to this file; shared by every experiment
    guards:                               # suite SLOs: guard every experiment, read between them
      - {name: p95, source: http, url: "${DEMO_SERVICE_URL}", metric: p95_ms, max: 500}
    experiments:
      - ../demo/latency-slo.yaml          # short form
      - {path: ../demo/other.yaml, weight: 2, timeout_s: 600,
         chaos_args: [--rollback-strategy, always]}
    recovery: {timeout_s: 300, interval_s: 2, settle_s: 5, on_timeout: error}
    continue_on_abort: false

``${NAME}`` (or ``${NAME:-default}``) in any string is replaced by the environment variable ``NAME``
when the suite is loaded (``$${`` is a literal ``${``): suite guards are read by the runner itself
between experiments, so they cannot use an experiment's ``configuration``. Paths (``policy``,
``experiments[].path``) are relative to the suite file; ``output_dir`` is relative to the working
directory. Every problem is ONE :class:`~chaosguard.errors.InvalidArgument` naming the field, e.g.
``invalid argument 'experiments.2.path': file not found: missing.yaml (in suite.yaml)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaosguard.errors import InvalidArgument
from chaosguard.gameday.suite_model import ExperimentRef, Recovery, Suite, suite_schema
from chaosguard.guard.wiring import own_control_arguments, run_policy
from chaosguard.policy.load import default_policy, parse_policy, policy_file_path, read_document
from chaosguard.policy.model import Policy
from chaosguard.validation import invalid_argument

__all__ = [
    "ExperimentRef",
    "GameDay",
    "PlannedExperiment",
    "Recovery",
    "Suite",
    "expand_env",
    "load_suite",
    "plan",
    "suite_from_experiments",
    "suite_schema",
]

_VAR = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class PlannedExperiment:
    """An experiment of a loaded suite: its reference, document, display name, and the policy its
    run obeys (the suite's, made stricter by the experiment: the guard's own resolution)."""

    index: int
    ref: ExperimentRef
    document: dict[str, Any]
    name: str
    policy: Policy = field(default_factory=Policy)


@dataclass(frozen=True)
class GameDay:
    """A validated suite ready to run: the model, where it came from, its experiments and policy."""

    suite: Suite
    source: str
    experiments: list[PlannedExperiment]
    policy: Policy = field(default_factory=Policy)


def expand_env(value: Any, env: Mapping[str, str], where: str = "", strict: bool = True) -> Any:
    """``value`` with ``${NAME}``/``${NAME:-default}`` replaced in every string (``$${`` → ``${``).

    :param strict: an unset variable without default is an error; otherwise it stays as written.
    :raises InvalidArgument: naming the dotted field of a string that uses an unset variable.
    """

    def walk(item: Any, path: str) -> Any:
        if isinstance(item, str):
            return _expand(item, path)
        if isinstance(item, Mapping):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [walk(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(item)]
        return item

    def _expand(text: str, path: str) -> str:
        def sub(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            if not strict:
                return match.group(0)
            tail = f" ({where})" if where else ""
            raise InvalidArgument(path or "suite", f"environment variable {name} is not set{tail}")

        return _VAR.sub(sub, text)

    try:
        return walk(value, "")
    except RecursionError:
        raise InvalidArgument("suite", "nested too deeply") from None


def _validate(data: Any, base: Path, where: str) -> Suite:
    if not isinstance(data, Mapping):
        tail = f" ({where})" if where else ""
        raise InvalidArgument(
            "suite",
            f"expected a mapping with 'name' and 'experiments', got {type(data).__name__}{tail}",
        )
    try:
        return Suite.model_validate(dict(data), context={"base": str(base)})
    except ValidationError as exc:
        raise invalid_argument(exc, "", Suite, where) from None
    except RecursionError:
        raise InvalidArgument("suite", "nested too deeply") from None


def _check_names(suite: Suite, where: str) -> None:
    seen: set[str] = set()
    for i, guard in enumerate(suite.guards):
        if guard.name in seen:
            raise InvalidArgument(
                f"guards.{i}.name", f"duplicate guard name {guard.name!r} ({where})"
            )
        seen.add(guard.name)
        if guard.max is None and guard.min is None:  # an anomaly block alone
            raise InvalidArgument(
                f"guards.{i}",
                "a suite guard is also read between experiments to wait for recovery, which "
                "needs an objective: give 'max' or 'min' besides the 'anomaly' block",
            )


def plan(suite: Suite, source: str, check: bool = True) -> GameDay:
    """Load the policy (the suite's, else ``$CHAOSGUARD_POLICY``, else the defaults) and every
    experiment of ``suite`` with the policy its run will obey (``run_policy``: what the experiment
    says only makes the suite's stricter); with ``check``, validate the experiments (chaosguard's
    and chaoslib's checks) so a broken experiment 3 stops the suite before experiment 1.

    :raises InvalidArgument: ``policy.<path>`` for the policy file, ``experiments.<i>.path`` for an
        experiment file (``<file>: <problem>``).
    """
    where = f"in {source}"
    _check_names(suite, where)
    policy = default_policy()
    policy_path = policy_file_path(suite.policy)  # the suite's, else $CHAOSGUARD_POLICY
    if policy_path is not None:
        policy = parse_policy(read_document(policy_path, "policy"), "policy", f"in {policy_path}")
    planned = []
    for i, ref in enumerate(suite.experiments):
        at = f"experiments.{i}.path"
        document = read_document(ref.path, at)
        if not isinstance(document, dict):
            raise InvalidArgument(
                at, f"{ref.path}: expected an experiment (a mapping), got {type(document).__name__}"
            )
        if check:
            from chaosguard.policy.experiment import check_experiment

            problems = check_experiment(document)
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise InvalidArgument(at, f"{ref.path}: {problems[0]}{more}")
        _check_clashes(suite, i, document)
        title = document.get("title")
        name = ref.name or (
            title if isinstance(title, str) and title.strip() else Path(ref.path).stem
        )
        try:
            effective = run_policy(policy_path, document)
        except InvalidArgument as exc:
            raise InvalidArgument(at, f"{ref.path}: {exc.field}: {exc.problem}") from None
        planned.append(PlannedExperiment(i, ref, document, name, effective))
    if check:
        _check_sources(suite)
    return GameDay(suite, source, planned, policy)


def _check_clashes(suite: Suite, index: int, document: Mapping[str, Any]) -> None:
    """A suite guard must not share its name with a guard of an experiment (ambiguous evidence)."""
    from chaosguard.policy.load import find_block

    try:
        block = find_block(document)
    except InvalidArgument:
        return  # reported by the experiment checks (or by the guard at run time)
    theirs = {g.name for g in block.guards} if block is not None else set()
    own = own_control_arguments(document).get("guards")
    if isinstance(own, list):
        theirs |= {
            g["name"] for g in own if isinstance(g, Mapping) and isinstance(g.get("name"), str)
        }
    for k, guard in enumerate(suite.guards):
        if guard.name in theirs:
            raise InvalidArgument(
                f"guards.{k}.name",
                f"{guard.name!r} is also a guard of experiment "
                f"{index + 1} ({suite.experiments[index].path}); "
                "give suite guards names of their own",
            )


def _check_sources(suite: Suite) -> None:
    """Build every suite guard's source once (a Python guard's function must import, a Prometheus
    query must scan, a bearer token variable must be set), so the suite fails before it starts."""
    from chaosguard.slo.build import build_source

    for guard in suite.guards:
        source = build_source(guard)
        close = getattr(source, "close", None)
        if callable(close):
            close()


def load_suite(
    path: str,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    strict_env: bool = True,
    overrides: Mapping[str, Any] | None = None,
) -> GameDay:
    """Read, expand, validate and plan the suite file at ``path`` (see :func:`plan`).

    :param overrides: top-level fields replacing the file's (after ``${...}`` expansion; paths in
        them should be absolute: relative ones are read against the suite's directory).
    :param strict_env: see :func:`expand_env` (``chaos gameday schedule`` renders a suite whose
        variables are only set where it will run).
    """
    import os

    data = read_document(path, "suite")
    data = expand_env(data, os.environ if env is None else env, f"in {path}", strict_env)
    if overrides and isinstance(data, Mapping):
        data = {**data, **overrides}
    suite = _validate(data, Path(path).expanduser().resolve().parent, f"in {path}")
    return plan(suite, path, check)


def suite_from_experiments(
    paths: Sequence[str],
    name: str = "",
    policy: str | None = None,
    guards: Sequence[Any] = (),
    check: bool = True,
) -> GameDay:
    """A suite made of experiment files given on the command line (paths relative to the working
    directory; a bad one is named ``experiments.<i>.path``)."""
    data: dict[str, Any] = {
        "name": name or "game day",
        "experiments": list(paths),
        "guards": list(guards),
    }
    if policy is not None:
        data["policy"] = policy
    suite = _validate(data, Path.cwd(), "")
    return plan(suite, "the command line", check)
