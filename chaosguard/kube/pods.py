"""Select pods: the one place that decides which pods a Kubernetes fault hits.

``list_pods`` returns the *active* pods of a namespace matching a label selector and/or a name
pattern (a pod already terminating, Succeeded or Failed is not a target: killing it changes nothing,
and counting it would inflate the percent base). ``pick`` chooses ``count`` of them, or ``percent``
(rounded down — never more than asked, so ``percent: 34`` stays within a policy's
``max_targets.percent: 34`` — but at least one), in random, alphabetic, oldest-first or newest-first
order.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaosguard.errors import InvalidArgument, Refused
from chaosguard.kube.api import Api, ApiError

__all__ = ["ORDERS", "Pod", "how_many", "list_pods", "namespace_exists", "pick", "pod_from"]

ORDERS = ("random", "alphabetic", "oldest", "newest")


@dataclass(frozen=True)
class Pod:
    """What selection, policy and evidence need of one pod."""

    name: str
    uid: str
    namespace: str
    node: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    created: str = ""
    ready: bool = False
    owner: str = ""  # "ReplicaSet/web-5d9c…"

    def evidence(self) -> dict[str, Any]:
        """``{"name", "uid", "node"}`` for the ledger."""
        return {"name": self.name, "uid": self.uid, "node": self.node}


def _ready(status: Mapping[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )


def pod_from(obj: Mapping[str, Any]) -> Pod:
    """A :class:`Pod` from the API server's JSON."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    owners = meta.get("ownerReferences") or []
    owner = f"{owners[0].get('kind')}/{owners[0].get('name')}" if owners else ""
    return Pod(
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        namespace=meta.get("namespace", ""),
        node=spec.get("nodeName") or "",
        labels=dict(meta.get("labels") or {}),
        created=meta.get("creationTimestamp") or "",
        ready=_ready(status),
        owner=owner,
    )


def is_active(obj: Mapping[str, Any]) -> bool:
    """Not terminating and not finished."""
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    return not meta.get("deletionTimestamp") and status.get("phase") not in ("Succeeded", "Failed")


def list_pods(
    api: Api, namespace: str, label_selector: str = "", name_pattern: str = ""
) -> list[Pod]:
    """Active pods of ``namespace`` matching ``label_selector`` (server side) and ``name_pattern``
    (``re.search`` on the name), sorted by name."""

    try:
        items = api.list(f"/api/v1/namespaces/{namespace}/pods", {"labelSelector": label_selector})
    except ApiError as exc:
        if exc.status == 400:
            raise InvalidArgument("label_selector", f"rejected by the API server: {exc}") from None
        raise
    pattern = re.compile(name_pattern) if name_pattern else None
    pods = [pod_from(o) for o in items or [] if is_active(o)]
    if pattern is not None:
        pods = [p for p in pods if pattern.search(p.name)]
    return sorted(pods, key=lambda p: p.name)


def namespace_exists(api: Api, namespace: str) -> bool | None:
    """True/False, or ``None`` when we may not read namespaces (a namespaced service account)."""

    try:
        return api.get(f"/api/v1/namespaces/{namespace}") is not None
    except Refused:
        return None


def how_many(total: int, count: int = 0, percent: float = 0.0) -> int:
    """``count``, or ``percent`` of ``total`` rounded down (at least 1 when anything matches),
    capped."""
    if percent > 0:
        wanted = math.floor(total * percent / 100 + 1e-9)
        return min(total, max(1, wanted)) if total else 0
    return min(total, count)


def pick(
    pods: Sequence[Pod],
    count: int = 0,
    percent: float = 0.0,
    order: str = "random",
    rng: random.Random | None = None,
) -> list[Pod]:
    """Choose the targets among ``pods`` (see the module docstring)."""
    if order not in ORDERS:
        raise InvalidArgument("order", f"expected one of {', '.join(ORDERS)} (got {order!r})")
    n = how_many(len(pods), count, percent)
    if order == "random":
        return (rng or random.SystemRandom()).sample(list(pods), n)
    if order == "alphabetic":
        ranked = sorted(pods, key=lambda p: p.name)
    else:
        ranked = sorted(pods, key=lambda p: (p.created, p.name), reverse=order == "newest")
    return ranked[:n]
