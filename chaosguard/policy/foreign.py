"""Actions that are not chaosguard's own: refused unless the operator allows them.

chaosguard's own actions (:data:`OWN_ACTIVITIES`: the public functions of ``chaosguard.actions.*``
and ``chaosguard.probes.*``) are judged by their own rules. Anything else that can change the world
is *foreign*: a python action of another module (or a chaosguard function that is not an
activity), a ``process`` action, and a ``process`` probe (an action in disguise: ``kill -STOP`` is
as easy to write as a probe). A foreign activity runs only when ``actions.allow`` names it —
``"module.func"`` (or ``"module:func"``) for python, ``"process:/abs/path"`` for a process, the
path as Chaos Toolkit resolves it (``shutil.which``), compared without following symlinks.

Allowed chaostoolkit-kubernetes actions (``chaosk8s.*``) are then judged on their arguments, before
they run and without reading the cluster (their targets are picked by chaosk8s itself):
:func:`check_k8s_arguments`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chaosguard.errors import Refused
from chaosguard.policy.blast import check_blast_radius

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy


__all__ = [
    "OWN_ACTIVITIES",
    "check_foreign_process",
    "check_foreign_python",
    "check_k8s_arguments",
    "is_k8s",
    "is_own",
    "resolve_process_path",
]

OWN_ACTIVITIES: dict[str, frozenset[str]] = {
    "chaosguard.actions.chaosmesh": frozenset(
        {"add_network_latency", "remove_chaos_mesh_faults", "stress_pods"}
    ),
    "chaosguard.actions.latency": frozenset(
        {
            "remove_latency",
            "revert_latency_proxy",
            "set_latency",
            "start_latency_proxy",
            "stop_latency_proxy",
        }
    ),
    "chaosguard.actions.pods": frozenset({"kill_pods"}),
    "chaosguard.actions.process": frozenset(
        {"signal_processes", "pause_processes", "resume_processes"}
    ),
    "chaosguard.actions.sampler": frozenset({"start_http_sampler", "stop_http_sampler"}),
    "chaosguard.actions.stress": frozenset({"stress_cpu", "stress_memory", "stop_stress"}),
    "chaosguard.probes.http": frozenset(
        {
            "http_status",
            "http_latency_percentile",
            "http_error_ratio",
            "http_measure",
            "sampled_latency_percentile",
            "sampled_error_ratio",
            "sampled_stats",
        }
    ),
    "chaosguard.probes.kubernetes": frozenset(
        {
            "all_pods_ready",
            "deployment_ready_replicas",
            "statefulset_ready_replicas",
            "time_to_recovery",
        }
    ),
    "chaosguard.probes.prometheus": frozenset(
        {"prometheus_value", "error_budget_remaining", "burn_rate"}
    ),
}

_K8S = "chaosk8s"
_K8S_NODES = "chaosk8s.node.actions"
_K8S_PODS = "chaosk8s.pod.actions"


def is_own(module: Any, func: Any) -> bool:
    """True for a public activity of chaosguard (``chaosguard.actions.*``/``probes.*``)."""
    return isinstance(module, str) and func in OWN_ACTIVITIES.get(module, frozenset())


def check_foreign_python(policy: Policy, module: Any, func: Any) -> str:
    """Refuse a python action that is not chaosguard's own unless ``actions.allow`` names it;
    return its ``module.func`` name."""
    name = f"{module}.{func}"
    if name not in policy.actions.allow:
        raise Refused(
            f"refused: action '{name}' is not allowed by policy actions.allow "
            f'(add "{name}" to allow it)'
        )
    return name


def resolve_process_path(path: str) -> str | None:
    """The executable Chaos Toolkit would run for a process provider's ``path`` (absolute,
    normalised, symlinks NOT followed), or None when it cannot be found."""
    found = shutil.which(os.path.expanduser(path))
    return os.path.normpath(os.path.abspath(found)) if found else None


def check_foreign_process(policy: Policy, path: Any, kind: str) -> None:
    """Refuse a ``process`` action or probe unless ``actions.allow`` names its executable."""
    text = path if isinstance(path, str) else repr(path)
    resolved = resolve_process_path(path) if isinstance(path, str) and path.strip() else None
    if resolved is not None and f"process:{resolved}" in policy.actions.allow:
        return
    what = "process probe" if kind == "probe" else "process action"
    disguise = "a process probe is judged like an action; " if kind == "probe" else ""
    key = f"process:{resolved}" if resolved else "process:/absolute/path"
    missing = "" if resolved else f" (it is not found: '{text}')"
    raise Refused(
        f"refused: {what} '{resolved or text}' is not allowed by policy actions.allow "
        f'({disguise}add "{key}" to allow it){missing}'
    )


def _selector_verdict(policy: Policy, name: str, namespace: str, selector: str | None) -> None:
    from chaosguard.policy.selectors import disjoint, implies, parse_selector  # Kubernetes only

    rules = policy.label_selectors
    if rules.allow is None and not rules.deny:
        return
    if not selector:
        key = "label_selectors.deny" if rules.deny else "label_selectors.allow"
        raise Refused(
            f"refused: action '{name}' selects every pod of namespace '{namespace}' (no "
            f"label_selector), which policy {key} forbids"
        )
    try:
        parsed = parse_selector(selector)
    except ValueError as exc:
        raise Refused(f"refused: action '{name}' label_selector: {exc}") from None
    for text in rules.deny:
        if not disjoint(parsed, parse_selector(text)):
            raise Refused(
                f"refused: action '{name}' label_selector '{selector}' may match pods of "
                f"denied selector '{text}' (policy label_selectors.deny; exclude them in the "
                "selector, e.g. with != or notin)"
            )
    if rules.allow is not None and not any(implies(parsed, parse_selector(t)) for t in rules.allow):
        allowed = ", ".join(f"'{t}'" for t in rules.allow) or "none"
        raise Refused(
            f"refused: action '{name}' label_selector '{selector}' does not guarantee a match "
            f"of policy label_selectors.allow ({allowed})"
        )


def _count_verdict(policy: Policy, name: str, arguments: Mapping[str, Any], pods: bool) -> None:
    limits = policy.max_targets
    percent_limit = limits.percent is not None and limits.percent < 100
    if limits.count is None and not percent_limit:
        return
    every = not pods or arguments.get("all") is True
    mode, qty = arguments.get("mode", "fixed"), arguments.get("qty", 1)
    if every:
        why = "hits every pod it selects"
    elif mode != "fixed" or percent_limit:
        why = "hits a number of pods known only when it runs"
    elif isinstance(qty, bool) or not isinstance(qty, int):
        why = f"has a qty that is not a whole number ({qty!r})"
    elif limits.count is not None and qty > limits.count:
        raise Refused(
            f"refused: action '{name}' qty={qty} exceeds policy max_targets.count={limits.count}"
        )
    else:
        return
    key = (
        f"max_targets.count={limits.count}"
        if limits.count is not None
        else f"max_targets.percent={limits.percent:g}"
    )
    raise Refused(f"refused: action '{name}' {why}, which policy {key} cannot allow")


def check_k8s_arguments(
    policy: Policy, module: str, func: str, arguments: Mapping[str, Any]
) -> None:
    """Judge an allowed ``chaosk8s.*`` action on its arguments (raises :class:`Refused`).

    - node actions disrupt pods of every namespace: refused under any namespace or label rule;
    - the others: ``ns`` (default ``default``) against ``namespaces``; ``label_selector`` against
      ``label_selectors`` — it must exclude every denied selector and imply an allowed one (no
      selector, or ``all: true`` without one, selects every pod of the namespace); under
      ``max_targets`` only ``chaosk8s.pod.actions`` in ``mode: fixed`` with a ``qty`` within
      ``max_targets.count`` pass (the count of anything else is known only when it runs).
    """
    name = f"{module}.{func}"
    if module == _K8S_NODES or module.startswith(_K8S_NODES + "."):
        ns_rules, label_rules = policy.namespaces, policy.label_selectors
        if ns_rules.allow is not None or ns_rules.deny:
            raise Refused(
                f"refused: action '{name}' disrupts pods of every namespace, which policy "
                "namespaces.allow/deny forbids"
            )
        if label_rules.allow is not None or label_rules.deny:
            raise Refused(
                f"refused: action '{name}' disrupts pods of any label, which policy "
                "label_selectors forbids"
            )
        _count_verdict(policy, name, {}, pods=False)
        return
    namespace = arguments.get("ns", "default")
    if not isinstance(namespace, str) or not namespace.strip():
        raise Refused(f"refused: action '{name}' argument ns must be a namespace name")
    check_blast_radius(policy, [], 0, namespace)
    selector = arguments.get("label_selector")
    if selector is not None and not isinstance(selector, str):
        raise Refused(f"refused: action '{name}' argument label_selector must be a string")
    _selector_verdict(policy, name, namespace, selector)
    _count_verdict(policy, name, arguments, pods=module == _K8S_PODS)


def is_k8s(module: str) -> bool:
    """True for a chaostoolkit-kubernetes module."""
    return module == _K8S or module.startswith(_K8S + ".")
