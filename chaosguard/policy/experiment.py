"""Experiment validation beyond ``chaos validate``: every problem as one line naming where it is.

On top of :func:`chaoslib.experiment.ensure_experiment_is_valid` (called, its exception turned into
one line) this catches what Chaos Toolkit 1.19 lets through or shows as a traceback: bad JSON/YAML,
an empty file, a top-level list (:func:`load_experiment` refuses those as one line), an action
inside the steady-state hypothesis, a title that is not a string, an empty method, a provider
``timeout`` that is not a number, a malformed chaosguard block, and, for python providers of a
``chaosguard.*`` module, an unknown function, unknown or missing arguments and literal argument
values whose type does not match the annotation (``${...}`` values are skipped), then the values
themselves by the action's own check (:mod:`chaosguard.policy.values`). Examples:
``method[2].provider.arguments.latency_ms: expected float, got str``,
``method[1].provider.arguments.mib: must be a positive number of MiB (got -5)``.

``chaos guard check`` runs ``check_experiment(load_experiment(path))``.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import numbers
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from chaosguard.errors import InvalidArgument
from chaosguard.policy.load import find_block, read_document
from chaosguard.policy.values import value_problems
from chaosguard.validation import VALUE_TYPES, short_repr

__all__ = ["check_experiment", "iter_activities", "load_experiment"]

_HYPOTHESIS = "steady-state-hypothesis"
_INJECTED = ("configuration", "secrets")
_NAMES = {int: "int", float: "float", str: "str", bool: "bool", dict: "dict", list: "list"}


def load_experiment(path: str) -> dict[str, Any]:
    """Read an experiment file; ``InvalidArgument('experiment', ...)`` (one line) when it is not
    one (unreadable, not JSON/YAML, empty, not a mapping)."""
    data = read_document(path, "experiment")
    if not isinstance(data, dict):
        raise InvalidArgument(
            "experiment", f"{path}: expected a mapping at the top level, got {_type_name(data)}"
        )
    return data


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def iter_activities(experiment: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(path, activity)`` of every activity that is a mapping: hypothesis probes, method,
    rollbacks."""
    hypothesis = experiment.get(_HYPOTHESIS)
    probes = hypothesis.get("probes") if isinstance(hypothesis, Mapping) else None
    sections = [
        (f"{_HYPOTHESIS}.probes", probes),
        ("method", experiment.get("method")),
        ("rollbacks", experiment.get("rollbacks")),
    ]
    for name, items in sections:
        if isinstance(items, list):
            for i, activity in enumerate(items):
                if isinstance(activity, Mapping):
                    yield f"{name}[{i}]", activity


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_shape(experiment: Mapping[str, Any]) -> list[str]:
    problems = []
    for key in ("title", "description"):
        if experiment.get(key) is not None and not isinstance(experiment[key], str):
            problems.append(f"{key}: expected a string, got {_type_name(experiment[key])}")
    hypothesis = experiment.get(_HYPOTHESIS)
    if hypothesis is not None:
        if not isinstance(hypothesis, Mapping):
            problems.append(f"{_HYPOTHESIS}: expected a mapping, got {_type_name(hypothesis)}")
        else:
            if "title" in hypothesis and not isinstance(hypothesis["title"], str):
                problems.append(
                    f"{_HYPOTHESIS}.title: expected a string, got {_type_name(hypothesis['title'])}"
                )
            probes = hypothesis.get("probes")
            if probes is not None and not isinstance(probes, list):
                problems.append(f"{_HYPOTHESIS}.probes: expected a list, got {_type_name(probes)}")
    method = experiment.get("method")
    if isinstance(method, list) and not method:
        problems.append(
            "method: is empty (nothing would be done between the two steady-state checks)"
        )
    elif method is not None and not isinstance(method, list):
        problems.append(f"method: expected a list, got {_type_name(method)}")
    rollbacks = experiment.get("rollbacks")
    if rollbacks is not None and not isinstance(rollbacks, list):
        problems.append(f"rollbacks: expected a list, got {_type_name(rollbacks)}")
    for name in (f"{_HYPOTHESIS}.probes", "method", "rollbacks"):
        section = name.split(".")[0]
        items = experiment.get(section)
        if section == _HYPOTHESIS:
            items = items.get("probes") if isinstance(items, Mapping) else None
        for i, activity in enumerate(items if isinstance(items, list) else []):
            if not isinstance(activity, Mapping):
                problems.append(f"{name}[{i}]: expected a mapping, got {_type_name(activity)}")
    return problems


def _check_activity(path: str, activity: Mapping[str, Any]) -> list[str]:
    if "ref" in activity:
        return []
    problems = []
    if path.startswith(_HYPOTHESIS) and activity.get("type") == "action":
        problems.append(
            f"{path}: is an action ({short_repr(activity.get('name'))}); the steady-state "
            "hypothesis may only hold probes"
        )
    timeout = activity.get("timeout")
    if timeout is not None and not _is_number(timeout):
        problems.append(f"{path}.timeout: expected a number, got {_type_name(timeout)}")
    provider = activity.get("provider")
    if provider is None:
        return problems
    if not isinstance(provider, Mapping):
        return [*problems, f"{path}.provider: expected a mapping, got {_type_name(provider)}"]
    timeout = provider.get("timeout")
    pair = isinstance(timeout, list) and len(timeout) == 2 and all(_is_number(t) for t in timeout)
    if timeout is not None and not _is_number(timeout) and not pair:
        problems.append(f"{path}.provider.timeout: expected a number, got {_type_name(timeout)}")
    if provider.get("type") == "python":
        problems.extend(_check_python(path, provider))
    return problems


def _hints(func: Any) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(func)
    except Exception:
        return {}
    return {**hints, **getattr(func, VALUE_TYPES, {})}  # the wider types the action declared


def _accepted(annotation: Any) -> tuple[tuple[type, ...], bool] | None:
    """(accepted types, None accepted) for simple annotations; None when not checkable."""
    if annotation in _NAMES:
        return (annotation,), False
    origin = typing.get_origin(annotation)
    if origin in (dict, list):
        return (origin,), False
    if origin in (typing.Union, types.UnionType):
        accepted: tuple[type, ...] = ()
        nullable = False
        for arg in typing.get_args(annotation):
            if arg is type(None):
                nullable = True
                continue
            inner = _accepted(arg)
            if inner is None:
                return None
            accepted += inner[0]
        return accepted, nullable
    return None


def _type_problem(value: Any, annotation: Any, default: Any) -> str | None:
    if isinstance(value, str) and "${" in value:
        return None
    accepted = _accepted(annotation)
    if accepted is None:
        return None
    kinds, nullable = accepted
    if value is None and (nullable or default is None):
        return None
    for kind in kinds:
        if kind is float and _is_number(value):
            return None
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return None
        if kind not in (int, float) and isinstance(value, kind):
            return None
    wanted = " or ".join(_NAMES.get(k, k.__name__) for k in kinds) + (
        " or null" if nullable else ""
    )
    return f"expected {wanted}, got {_type_name(value)}"


def _check_python(path: str, provider: Mapping[str, Any]) -> list[str]:
    module_name, func_name = provider.get("module"), provider.get("func")
    if not isinstance(module_name, str) or module_name.split(".")[0] != "chaosguard":
        return []
    where = f"{path}.provider"
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        return [
            f"{where}.module: cannot import {short_repr(module_name)} ({type(exc).__name__}: {exc})"
        ]
    func = getattr(module, func_name, None) if isinstance(func_name, str) else None
    if not isinstance(func_name, str) or func_name.startswith("_") or not inspect.isfunction(func):
        public = [
            n
            for n in getattr(module, "__all__", [])
            if inspect.isfunction(getattr(module, n, None))
        ]
        import difflib  # only for a name that is not there

        close = difflib.get_close_matches(str(func_name), public, n=1)
        hint = (
            f" (did you mean '{close[0]}'?)"
            if close
            else f" (it has: {', '.join(public)})"
            if public
            else ""
        )
        return [f"{where}.func: {module_name} has no function {short_repr(func_name)}{hint}"]
    arguments = provider.get("arguments")
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        return [f"{where}.arguments: expected a mapping, got {_type_name(arguments)}"]
    params = {
        n: p
        for n, p in inspect.signature(func).parameters.items()
        if n not in _INJECTED and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    hints = _hints(func)
    problems = []
    for name, value in arguments.items():
        if name not in params:
            known = ", ".join(params) or "none"
            problems.append(
                f"{where}.arguments.{name}: unknown argument of {module_name}:{func_name} "
                f"(known: {known})"
            )
            continue
        problem = _type_problem(value, hints.get(name), params[name].default)
        if problem:
            problems.append(f"{where}.arguments.{name}: {problem}")
    for name, param in params.items():
        if param.default is param.empty and name not in arguments:
            problems.append(
                f"{where}.arguments: missing required argument '{name}' of "
                f"{module_name}:{func_name}"
            )
    return problems or value_problems(where, func, arguments)


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Drop the INFO/DEBUG chatter of a logger (chaoslib's "Validating the experiment's syntax")."""
    logger = logging.getLogger(name)
    only_warnings = logging.Filter()
    only_warnings.filter = lambda record: record.levelno >= logging.WARNING  # type: ignore[method-assign]
    logger.addFilter(only_warnings)
    try:
        yield
    finally:
        logger.removeFilter(only_warnings)


def _chaoslib_problem(experiment: Mapping[str, Any]) -> tuple[str, str] | None:
    """chaoslib's verdict as ``(kind, one line)``: kind is ``activity``, ``experiment`` or
    ``crash``."""
    from chaoslib.exceptions import ChaosException, InvalidActivity
    from chaoslib.experiment import ensure_experiment_is_valid

    with _quiet("chaostoolkit"):
        try:
            ensure_experiment_is_valid(dict(experiment))
        except InvalidActivity as exc:
            return "activity", " ".join(str(exc).split())
        except ChaosException as exc:
            return "experiment", " ".join(str(exc).split())
        except Exception as exc:
            return (
                "crash",
                f"chaoslib cannot validate it ({type(exc).__name__}: {' '.join(str(exc).split())})",
            )
    return None


def check_experiment(experiment: Any) -> list[str]:
    """Every problem found in an experiment document, one line each (``[]`` = valid). Never
    raises."""
    if not isinstance(experiment, Mapping):
        return [f"experiment: expected a mapping at the top level, got {_type_name(experiment)}"]
    if not experiment:
        return ["experiment: is empty"]
    problems = _check_shape(experiment)
    for path, activity in iter_activities(experiment):
        problems.extend(_check_activity(path, activity))
    try:
        find_block(experiment)
    except InvalidArgument as exc:
        problems.append(f"{exc.field}: {exc.problem}")
    verdict = _chaoslib_problem(experiment)
    if verdict is not None and (not problems or verdict[0] == "experiment"):
        problems.append(f"experiment: {verdict[1]}")
    return problems
