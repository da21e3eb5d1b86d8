"""The chaosguard policy: what may be targeted, when, how much, and what stops everything.

One job: turn a policy file plus an experiment's ``chaosguard`` block into a frozen :class:`Policy`
(the stricter value of the two winning, field by field) and judge it with pure functions — time
windows and freezes at an injected ``now``, the kill switch (fail closed), the blast radius of
Kubernetes and local faults, and the preflight rules. The guard control calls these; ``chaos guard
check`` shows them.

Modules: ``model`` (pydantic models; their validated scalar types in the private ``_types``),
``load`` (:func:`~chaosguard.policy.load.resolve_policy`: the operator's file, made stricter by
the experiment's own files and block; one-line errors through
:func:`chaosguard.validation.invalid_argument`), ``merge`` (stricter-wins rules), ``windows``,
``killswitch``, ``blast`` (targets against the limits), ``kube_blast`` and ``kube_plans``
(Kubernetes actions: request → namespace rules → cluster → pods → limits → PodDisruptionBudgets),
``local`` (process and stress actions), ``activity`` (the per-action check), ``foreign``
(actions that are not ours: ``actions.allow``, chaostoolkit-kubernetes arguments), ``guards``
(python SLO sources: ``guard.python_modules``), ``experiment`` (the
experiment file: :func:`~chaosguard.policy.experiment.load_experiment` and
:func:`~chaosguard.policy.experiment.check_experiment`, what ``chaos guard check`` runs), ``active``
(the policy actions obey in this process), ``preflight``, ``selectors`` (label selectors),
``schema``.

Re-exports are *lazy* (PEP 562): ``from chaosguard.policy import check_activity`` loads only
the modules that name needs, so a guarded run does not pay for what it never uses.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for type checkers; at run time each loads on first use
    from chaosguard.policy.activity import check_activity
    from chaosguard.policy.blast import Target, check_blast_radius, check_pdb
    from chaosguard.policy.guards import check_python_guard
    from chaosguard.policy.killswitch import KillSwitchState, kill_switch_state, register_reader
    from chaosguard.policy.load import (
        ENV_VAR,
        find_block,
        load_guards,
        load_policy,
        read_document,
        resolve_policy,
    )
    from chaosguard.policy.local import check_local, check_processes
    from chaosguard.policy.merge import RULES, merge
    from chaosguard.policy.model import ChaosguardBlock, Policy
    from chaosguard.policy.preflight import (
        Check,
        budget_refusal,
        error_budget_check,
        preflight_checks,
        preflight_policy,
    )
    from chaosguard.policy.schema import experiment_schema, policy_schema
    from chaosguard.policy.selectors import parse_selector, selector_matches
    from chaosguard.policy.windows import frozen, next_opening, window_open

__all__ = [
    "ENV_VAR",
    "RULES",
    "ChaosguardBlock",
    "Check",
    "KillSwitchState",
    "Policy",
    "Target",
    "budget_refusal",
    "check_activity",
    "check_blast_radius",
    "check_local",
    "check_pdb",
    "check_processes",
    "check_python_guard",
    "error_budget_check",
    "experiment_schema",
    "find_block",
    "frozen",
    "kill_switch_state",
    "load_guards",
    "load_policy",
    "merge",
    "next_opening",
    "parse_selector",
    "policy_schema",
    "preflight_checks",
    "preflight_policy",
    "read_document",
    "register_reader",
    "resolve_policy",
    "selector_matches",
    "window_open",
]

#: Where each re-exported name lives: a run imports only the modules it uses (the policy model
#: and pydantic stay out of a run that never asks for them).
_WHERE = {
    "ChaosguardBlock": "model",
    "Check": "preflight",
    "ENV_VAR": "load",
    "KillSwitchState": "killswitch",
    "Policy": "model",
    "RULES": "merge",
    "Target": "blast",
    "budget_refusal": "preflight",
    "check_activity": "activity",
    "check_blast_radius": "blast",
    "check_local": "local",
    "check_pdb": "blast",
    "check_processes": "local",
    "check_python_guard": "guards",
    "error_budget_check": "preflight",
    "experiment_schema": "schema",
    "find_block": "load",
    "frozen": "windows",
    "kill_switch_state": "killswitch",
    "load_guards": "load",
    "load_policy": "load",
    "merge": "merge",
    "next_opening": "windows",
    "parse_selector": "selectors",
    "policy_schema": "schema",
    "preflight_checks": "preflight",
    "preflight_policy": "preflight",
    "read_document": "load",
    "register_reader": "killswitch",
    "resolve_policy": "load",
    "selector_matches": "selectors",
    "window_open": "windows",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(f"chaosguard.policy.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'chaosguard.policy' has no attribute {name!r}")


class _Package(types.ModuleType):
    """This package, whose ``merge`` is always the function: importing the submodule
    ``chaosguard.policy.merge`` would otherwise make the package's ``merge`` that module (an eager
    ``from chaosguard.policy.merge import merge`` used to rebind it)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _WHERE.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
