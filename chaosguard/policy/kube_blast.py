"""The policy checks of a Kubernetes action, run by the action itself at injection time.

Every Kubernetes fault action calls these with :func:`~chaosguard.policy.active.active_policy`
right before it changes anything, so the blast radius is enforced whether or not the guard control
is wired:

1. :func:`check_namespace` — before any API call (a denied namespace never reaches the cluster);
2. :func:`check_targets` — label rules over every pod the action *could* hit (all matching pods
   when the pick is random: a refusal must not depend on a dice roll), then ``max_targets``
   count/percent over the pods it *will* hit;
3. :func:`check_budgets` — PodDisruptionBudgets (``respect_pdb``), for faults that disrupt pods.

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chaosguard.errors import Refused
from chaosguard.kube.api import Api
from chaosguard.kube.pdb import PdbBudget
from chaosguard.kube.pods import Pod
from chaosguard.policy.blast import Target, check_blast_radius, check_pdb

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy


__all__ = ["check_budgets", "check_namespace", "check_targets", "targets"]


def targets(pods: Sequence[Pod]) -> list[Target]:
    """Policy targets of ``pods``."""
    return [Target(name=p.name, namespace=p.namespace, labels=dict(p.labels)) for p in pods]


def check_namespace(policy: Policy, namespace: str) -> None:
    """``namespaces.allow``/``deny`` (raises :class:`Refused`)."""
    check_blast_radius(policy, [], 0, namespace)


def check_targets(
    policy: Policy,
    namespace: str,
    could_hit: Sequence[Pod],
    will_hit: Sequence[Pod],
    total_matching: int,
) -> None:
    """Label rules over ``could_hit``, then the whole blast radius of ``will_hit``."""
    no_limit = policy.max_targets.model_copy(update={"count": None, "percent": None})
    labels_only = policy.model_copy(update={"max_targets": no_limit})
    check_blast_radius(labels_only, targets(could_hit), len(could_hit), namespace)
    check_blast_radius(policy, targets(will_hit), total_matching, namespace)


def check_budgets(
    policy: Policy, api: Api, namespace: str, will_hit: Sequence[Pod]
) -> list[PdbBudget]:
    """Refuse when killing ``will_hit`` exceeds a PodDisruptionBudget (``respect_pdb``); return the
    budgets."""
    if not policy.respect_pdb:
        return []
    from chaosguard.kube.pdb import budgets

    try:
        found = budgets(api, namespace, will_hit)
    except Refused as exc:
        raise Refused(
            f"{exc} (policy respect_pdb=true needs to read PodDisruptionBudgets; fail closed)"
        ) from None
    check_pdb(policy, found)
    return found
