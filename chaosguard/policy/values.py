"""Argument VALUES of chaosguard's actions, judged before the first change to the world.

Types are judged by :mod:`chaosguard.policy.experiment` from the signatures. Ranges and meaning
(``mib: -5``, ``direction: sideways``, an unknown signal, a bad label selector) belong to each
action: an action declares the check of its values that changes nothing and reads nothing remote
(:func:`chaosguard.actions._args.checked_by`), the same one it runs itself before it acts. The
preflight of a guarded run and ``chaos guard check`` run it for every activity of the experiment,
so a bad value in the third action refuses the run before the first one injects anything.

Arguments still holding a ``${...}`` placeholder are left to the action (the run's configuration
decides them).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from chaosguard.errors import InvalidArgument
from chaosguard.validation import VALUE_CHECK

__all__ = ["value_problems"]

_INJECTED = ("configuration", "secrets")


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, Mapping):
        return any(_has_placeholder(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_placeholder(v) for v in value)
    return False


def value_problems(where: str, func: Callable[..., Any], arguments: Mapping[str, Any]) -> list[str]:
    """The problem with ``arguments`` of ``func`` (whose types already passed) as one line under
    ``where`` (``method[2].provider``), or ``[]``; ``[]`` too for a function without a check."""
    check = getattr(func, VALUE_CHECK, None)
    if check is None or _has_placeholder(arguments):
        return []
    try:
        bound = inspect.signature(func).bind_partial(**arguments)
    except TypeError:  # unknown or missing arguments: reported by the type check
        return []
    bound.apply_defaults()
    values = {k: v for k, v in bound.arguments.items() if k not in _INJECTED}
    try:
        check(values)
    except InvalidArgument as exc:
        return [f"{where}.arguments.{exc.field}: {exc.problem}"]
    except Exception as exc:  # a check that cannot judge refuses (fail closed), in one line
        return [f"{where}.arguments: cannot be checked ({type(exc).__name__}: {exc})"]
    return []
