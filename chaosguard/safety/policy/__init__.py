"""The chaosguard policy: what may be targeted, when, how much, and what stops everything.

One job: turn a policy file plus an experiment's ``chaosguard`` block into a frozen :class:`Policy`
(the stricter value of the two winning, field by field) and judge it with pure functions — time windows
and freezes at an injected ``now``, the kill switch (fail closed), the blast radius of Kubernetes and
local faults, and the preflight rules. The guard control calls these; ``chaos guard check`` shows them.

Modules: ``model`` (pydantic models), ``load`` (files and experiment block → Policy, one-line
errors), ``merge`` (stricter-wins rules), ``windows``, ``killswitch``, ``blast`` (Kubernetes targets),
``local`` (process and stress actions), ``activity`` (the per-action check), ``preflight``,
``selectors`` (label selectors), ``schema``.
"""

from chaosguard.safety.policy.activity import check_activity
from chaosguard.safety.policy.blast import PdbBudget, Target, check_blast_radius, check_pdb
from chaosguard.safety.policy.killswitch import KillSwitchState, kill_switch_state, register_reader
from chaosguard.safety.policy.load import (
    ENV_VAR,
    find_block,
    load_guards,
    load_policy,
    read_document,
)
from chaosguard.safety.policy.local import (
    ProcessInfo,
    check_local,
    check_processes,
    resolve_processes,
)
from chaosguard.safety.policy.merge import RULES, merge
from chaosguard.safety.policy.model import ChaosguardBlock, Policy
from chaosguard.safety.policy.preflight import (
    Check,
    budget_refusal,
    error_budget_check,
    preflight_checks,
    preflight_policy,
)
from chaosguard.safety.policy.schema import experiment_schema, policy_schema
from chaosguard.safety.policy.selectors import parse_selector, selector_matches
from chaosguard.safety.policy.windows import frozen, next_opening, window_open

__all__ = [
    "ENV_VAR",
    "RULES",
    "ChaosguardBlock",
    "Check",
    "KillSwitchState",
    "PdbBudget",
    "Policy",
    "ProcessInfo",
    "Target",
    "budget_refusal",
    "check_activity",
    "check_blast_radius",
    "check_local",
    "check_pdb",
    "check_processes",
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
    "resolve_processes",
    "selector_matches",
    "window_open",
]
