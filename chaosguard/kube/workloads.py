"""Deployments and StatefulSets: ready replicas, and how long they take to be whole after a kill.

"Recovered" means: the workload's controller has seen its current spec (``observedGeneration``),
reports ``readyReplicas >= spec.replicas``, AND a fresh list of its pods (its own selector) shows at
least ``spec.replicas`` pods that are Ready, not terminating and none of them one of the killed
pods. The pod list guards against a status the controller has not refreshed yet right after a kill.

Kills made by this process are remembered per namespace (:func:`note_kill`), so the recovery probe
can count from the moment of the kill (as the ledger records it), not from the moment the probe
started.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chaosguard.errors import ChaosGuardError, InvalidArgument
from chaosguard.kube.api import Api
from chaosguard.kube.pods import is_active, pod_from

__all__ = [
    "KINDS",
    "Kill",
    "last_kill",
    "note_kill",
    "pods_ready",
    "ready_replicas",
    "recovered",
    "wait_recovered",
    "workload",
]

KINDS = {"deployment": "deployments", "statefulset": "statefulsets"}


@dataclass(frozen=True)
class Kill:
    """When pods of a namespace were killed, and which."""

    at: float
    uids: frozenset[str]


_kills: dict[str, Kill] = {}
_kills_lock = threading.Lock()


def note_kill(namespace: str, at: float, uids: Iterable[str]) -> None:
    """Remember a kill in ``namespace`` (called by the pod-kill action)."""
    with _kills_lock:
        _kills[namespace] = Kill(at, frozenset(uids))


def last_kill(namespace: str) -> Kill | None:
    """The last kill this process made in ``namespace``."""
    with _kills_lock:
        return _kills.get(namespace)


def workload(api: Api, namespace: str, kind: str, name: str) -> dict[str, Any]:
    """The Deployment/StatefulSet object; one-line errors for an unknown kind or a missing
    object."""
    plural = KINDS.get(kind.lower())
    if plural is None:
        raise InvalidArgument("kind", f"expected one of {', '.join(KINDS)} (got {kind!r})")
    obj = api.get(f"/apis/apps/v1/namespaces/{namespace}/{plural}/{name}")
    if obj is None:
        raise InvalidArgument(
            "name",
            f"{kind} '{name}' not found in namespace '{namespace}' ({api.cluster.describe()})",
        )
    return obj


def ready_replicas(obj: dict[str, Any]) -> int:
    """``status.readyReplicas`` (0 when absent)."""
    return int((obj.get("status") or {}).get("readyReplicas") or 0)


def _selector_text(obj: dict[str, Any]) -> str:
    sel = (obj.get("spec") or {}).get("selector") or {}
    parts = [f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()]
    for expr in sel.get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), ",".join(expr.get("values") or [])
        parts.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": f"{key}",
                "DoesNotExist": f"!{key}",
            }.get(op, f"{key}")
        )
    return ",".join(parts)


def pods_ready(
    api: Api, namespace: str, label_selector: str, exclude_uids: frozenset[str] = frozenset()
) -> tuple[int, int]:
    """``(ready, active)`` pods matching ``label_selector`` (killed uids never count as ready)."""
    items = (
        api.list(f"/api/v1/namespaces/{namespace}/pods", {"labelSelector": label_selector}) or []
    )
    active = [pod_from(o) for o in items if is_active(o)]
    ready = [p for p in active if p.ready and p.uid not in exclude_uids]
    return len(ready), len(active)


def recovered(api: Api, obj: dict[str, Any], killed: frozenset[str] = frozenset()) -> bool:
    """True when the workload ``obj`` (just read) is whole again (see the module docstring)."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    wanted = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    if int(status.get("observedGeneration") or 0) < int(meta.get("generation") or 0):
        return False
    if ready_replicas(obj) < wanted:
        return False
    ready, _ = pods_ready(api, meta.get("namespace", ""), _selector_text(obj), killed)
    return ready >= wanted


def wait_recovered(
    api: Api,
    namespace: str,
    kind: str,
    name: str,
    since: float | None = None,
    killed: frozenset[str] = frozenset(),
    timeout_s: float = 120.0,
    interval_s: float = 0.2,
) -> float:
    """Poll until the workload is whole again; return seconds since ``since`` (default: now).

    Raises :class:`ChaosGuardError` naming the ready count when ``timeout_s`` passes first.
    """
    start = time.time() if since is None else since
    deadline = time.monotonic() + timeout_s
    while True:
        obj = workload(api, namespace, kind, name)
        if recovered(api, obj, killed):
            return max(0.0, time.time() - start)
        if time.monotonic() >= deadline:
            wanted = (obj.get("spec") or {}).get("replicas", 1)
            raise ChaosGuardError(
                f"{kind} '{namespace}/{name}' did not recover within {timeout_s:g} s "
                f"({ready_replicas(obj)}/{wanted} replicas ready)"
            )
        time.sleep(interval_s)
