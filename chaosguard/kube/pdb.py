"""PodDisruptionBudget math: which budgets cover the selected pods, and what each allows right now.

A PDB covers a pod when it is in the same namespace and its ``spec.selector`` (a LabelSelector
object: ``matchLabels`` + ``matchExpressions``) matches the pod's labels. policy/v1 semantics: an
empty selector ``{}`` matches every pod of the namespace; a missing (null) selector matches none.

What a budget allows is the disruption controller's ``status.disruptionsAllowed`` — a PDB whose
status the controller has not computed yet (``observedGeneration`` behind ``generation``) allows
nothing (fail closed). :func:`budgets` returns one :class:`PdbBudget` per PDB covering at least one
target; :func:`~chaosguard.policy.check_pdb` judges them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chaosguard.kube.api import Api
from chaosguard.kube.pods import Pod

__all__ = ["PdbBudget", "budgets", "covered", "selector_object_matches"]


@dataclass(frozen=True)
class PdbBudget:
    """A PodDisruptionBudget covering some of the targets, as read from the cluster now."""

    name: str
    namespace: str
    disruptions_allowed: int
    targets: int


def _expression(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    # an operator we do not know: cover nothing we cannot judge (the API server refuses them)
    return False


def selector_object_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes LabelSelector object semantics (``None`` matches nothing, ``{}`` everything)."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    return all(_expression(e, labels) for e in selector.get("matchExpressions") or [])


def _allowed(pdb: Mapping[str, Any]) -> int:
    meta, status = pdb.get("metadata") or {}, pdb.get("status") or {}
    if int(status.get("observedGeneration") or 0) < int(meta.get("generation") or 0):
        return 0
    return int(status.get("disruptionsAllowed") or 0)


def covered(pdb: Mapping[str, Any], targets: Sequence[Pod]) -> list[Pod]:
    """The targets ``pdb`` covers."""
    namespace = (pdb.get("metadata") or {}).get("namespace")
    selector = (pdb.get("spec") or {}).get("selector")
    return [
        t
        for t in targets
        if t.namespace == namespace and selector_object_matches(selector, t.labels)
    ]


def budgets(api: Api, namespace: str, targets: Sequence[Pod]) -> list[PdbBudget]:
    """The budgets of ``namespace`` that cover at least one of ``targets``, as the cluster has them
    now."""
    items = api.list(f"/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets") or []
    out = []
    for pdb in items:
        hit = covered(pdb, targets)
        if hit:
            name = (pdb.get("metadata") or {}).get("name", "?")
            out.append(
                PdbBudget(
                    name=name,
                    namespace=namespace,
                    disruptions_allowed=_allowed(pdb),
                    targets=len(hit),
                )
            )
    return out
