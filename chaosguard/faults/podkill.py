"""Pod kill fault: delete the pods the spec names, concurrently, each only if it is still the same pod.

Selection and policy happen before (:mod:`chaosguard.policy.kube_plans`); this kind acts on exactly the pods in
the spec. Each DELETE carries a ``preconditions.uid``: a pod re-created under the same name (StatefulSets)
is never killed by mistake. Deletions run concurrently (up to 64 in flight) over one keep-alive connection pool.

Not revertible: the record is evidence (name, uid, node and time of each kill; which pods had already
gone; which deletions failed) and the starting point of a recovery measurement. ``revert`` says
``not-revertible``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chaosguard.errors import ChaosGuardError
from chaosguard.ledger.store import FaultRecord

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
    workers: int = Field(default=64, ge=1, le=64, description="concurrent deletions")


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
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if spec.grace_period_s >= 0:
            options["gracePeriodSeconds"] = spec.grace_period_s
        answers = api.delete_many(
            [(base + t.name, {**options, "preconditions": {"uid": t.uid}}) for t in spec.targets],
            workers=spec.workers,
        )
        errors: list[ChaosGuardError] = []
        results = []
        for target, (status, error, at) in zip(spec.targets, answers, strict=True):
            out = {**target.model_dump(), "at": at}
            if error is not None:
                errors.append(error)
                results.append({**out, "result": "failed", "error": str(error)})
            else:
                results.append({**out, "result": "deleted" if status < 300 else "gone"})
        killed = [r for r in results if r["result"] == "deleted"]
        if errors and not killed:
            raise errors[0]
        return {
            "killed": killed,
            "gone": [r for r in results if r["result"] == "gone"],
            "failed": [r for r in results if r["result"] == "failed"],
        }

    def revert(self, record: FaultRecord) -> str:
        """A killed pod cannot be brought back (its controller replaces it)."""
        return "not-revertible"


KIND = PodKillKind()
