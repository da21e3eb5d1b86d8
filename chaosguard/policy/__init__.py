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
"""

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
