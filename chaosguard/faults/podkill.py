"""Pod kill fault: delete the pods the spec names, concurrently, each only if it is still the same pod.

Selection and policy happen before (:mod:`chaosguard.kube.plans`); this kind acts on exactly the pods in
the spec. Each DELETE carries a ``preconditions.uid``: a pod re-created under the same name (StatefulSets)
is never killed by mistake. Deletions run on a thread pool over one keep-alive connection pool.

Not revertible: the record is evidence (name, uid, node and time of each kill; which pods had already
gone; which deletions failed) and the starting point of a recovery measurement. ``revert`` says
``not-revertible``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chaosguard.errors import ChaosGuardError
from chaosguard.safety.ledger import FaultRecord

__all__ = ["KIND", "PodKillKind", "PodKillSpec", "PodTarget"]


class PodTarget(BaseModel):
    """One pod, by name and uid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=253)
    uid: str = Field(min_length=1)
    node: str = ""


class PodKillSpec(BaseModel):
    """Which pods of which namespace of which cluster to delete, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kubeconfig: str
    context: str
    verify_tls: bool = True
    namespace: str = Field(min_length=1, max_length=63)
    grace_period_s: int = Field(default=-1, ge=-1, description="-1: the pod's own grace period")
    targets: tuple[PodTarget, ...] = Field(min_length=1)
    workers: int = Field(default=32, ge=1, le=64, description="concurrent deletions")


class PodKillKind:
    """Delete pods; nothing to revert."""

    name = "pod-kill"
    Spec = PodKillSpec
    revertible = False

    def inject(self, spec: PodKillSpec, record: FaultRecord) -> dict[str, Any]:
        """Delete every target; return ``{"killed", "gone", "failed"}`` (raise when none was killed)."""
        from chaosguard.kube.api import Api
        from chaosguard.kube.config import Cluster

        api = Api(Cluster(spec.kubeconfig, spec.context, spec.verify_tls))
        base = f"/api/v1/namespaces/{spec.namespace}/pods/"
        errors: list[ChaosGuardError] = []

        def kill(target: PodTarget) -> dict[str, Any]:
            body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions",
                                    "preconditions": {"uid": target.uid}}
            if spec.grace_period_s >= 0:
                body["gracePeriodSeconds"] = spec.grace_period_s
            out = target.model_dump()
            try:
                status, _ = api.delete(base + target.name, body)
            except ChaosGuardError as exc:
                errors.append(exc)
                return {**out, "at": time.time(), "result": "failed", "error": str(exc)}
            return {**out, "at": time.time(), "result": "deleted" if status < 300 else "gone"}

        workers = max(1, min(spec.workers, len(spec.targets)))
        if workers == 1:
            results = [kill(t) for t in spec.targets]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="chaosguard-podkill") as pool:
                results = list(pool.map(kill, spec.targets))
        killed = [r for r in results if r["result"] == "deleted"]
        if errors and not killed:
            raise errors[0]
        return {"killed": killed,
                "gone": [r for r in results if r["result"] == "gone"],
                "failed": [r for r in results if r["result"] == "failed"]}

    def revert(self, record: FaultRecord) -> str:
        """A killed pod cannot be brought back (its controller replaces it)."""
        return "not-revertible"


KIND = PodKillKind()
