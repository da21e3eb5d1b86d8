"""Blast radius of Kubernetes faults: namespaces, label selectors, max targets, PDBs.

Pure checks on targets the caller has already resolved (the guard, before each action). Each raises
:class:`~chaosguard.errors.Refused` with a one-line message naming the policy field that refused,
and returns ``None`` when the action may go ahead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chaosguard.errors import InvalidArgument, Refused

if TYPE_CHECKING:
    from chaosguard.kube.pdb import PdbBudget
    from chaosguard.policy.model import Policy

__all__ = ["Target", "check_blast_radius", "check_pdb"]


@dataclass(frozen=True)
class Target:
    """One object an action would hit (a pod, usually)."""

    name: str
    namespace: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    kind: str = "pod"

    def describe(self) -> str:
        """``pod 'ns/name'``."""
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} '{where}{self.name}'"


def _check_namespace(policy: Policy, namespace: str) -> None:
    rules = policy.namespaces
    if namespace in rules.deny:
        raise Refused(f"refused: namespace '{namespace}' is denied by policy namespaces.deny")
    if rules.allow is not None and namespace not in rules.allow:
        allowed = ", ".join(rules.allow) or "none"
        raise Refused(
            f"refused: namespace '{namespace}' is not in policy namespaces.allow ({allowed})"
        )


def _check_labels(policy: Policy, target: Target) -> None:
    from chaosguard.policy.selectors import parse_selector  # only for Kubernetes targets

    rules = policy.label_selectors
    labels = dict(target.labels)
    for text in rules.deny:
        if parse_selector(text).matches(labels):
            raise Refused(
                f"refused: {target.describe()} matches denied selector '{text}' "
                "(policy label_selectors.deny)"
            )
    if rules.allow is not None and not any(parse_selector(t).matches(labels) for t in rules.allow):
        allowed = ", ".join(f"'{t}'" for t in rules.allow) or "none"
        raise Refused(
            f"refused: {target.describe()} matches no selector of policy "
            f"label_selectors.allow ({allowed})"
        )


def check_blast_radius(
    policy: Policy, targets: Sequence[Target], total_matching: int, namespace: str | None
) -> None:
    """Refuse when the ``targets`` one action would hit break the policy.

    :param targets: what the action would hit, already selected (after its own ``mode``/``qty``).
    :param total_matching: how many objects matched the action's selector before it picked
        ``targets`` (the base of ``max_targets.percent``).
    :param namespace: the namespace the action names (checked even when no target was found).
    :raises Refused: naming the limit, e.g.
        ``refused: 5 targets exceed policy max_targets.count=3``.
    """
    if total_matching < len(targets):
        raise InvalidArgument(
            "total_matching", f"{total_matching} is fewer than the {len(targets)} targets"
        )
    if namespace is not None:
        _check_namespace(policy, namespace)
    for target in targets:
        if target.namespace is not None and target.namespace != namespace:
            _check_namespace(policy, target.namespace)
        _check_labels(policy, target)
    count, limits = len(targets), policy.max_targets
    if limits.count is not None and count > limits.count:
        raise Refused(f"refused: {count} targets exceed policy max_targets.count={limits.count}")
    if (
        limits.percent is not None
        and total_matching
        and count * 100 > limits.percent * total_matching
    ):
        share = 100.0 * count / total_matching
        raise Refused(
            f"refused: {count} of {total_matching} matching targets ({share:.1f} %) exceed "
            f"policy max_targets.percent={limits.percent:g}"
        )


def check_pdb(policy: Policy, budgets: Sequence[PdbBudget]) -> None:
    """Refuse when ``respect_pdb`` is on and an action would disrupt more pods than a budget allows
    now."""
    if not policy.respect_pdb:
        return
    for budget in budgets:
        if budget.targets > budget.disruptions_allowed:
            raise Refused(
                f"refused: {budget.targets} targets are covered by PodDisruptionBudget "
                f"'{budget.namespace}/{budget.name}' which allows "
                f"{budget.disruptions_allowed} disruption(s) now (policy respect_pdb=true)"
            )
