"""The ``pod-kill`` fault kind: delete pods concurrently, each only if it is still the same pod.

Each DELETE carries a ``preconditions.uid``: a pod re-created under the same name (StatefulSets) is
never killed by mistake. Deletions run concurrently (up to 64 in flight) over one keep-alive
connection pool.

Not revertible: the record is evidence (name, uid, node and time of each kill; which pods had
already gone; which deletions failed) and the starting point of a recovery measurement; the contract
closes it as ``not-revertible`` as soon as inject returns. Observe tells whether the killed pods are
gone.
"""

from __future__ import annotations

from typing import Any

from chaosguard.errors import ChaosGuardError
from chaosguard.faults.contract import FaultKind, FixedFault
from chaosguard.faults.podkill.spec import PodKillSpec
from chaosguard.kube.api import Api
from chaosguard.kube.config import Cluster
from chaosguard.ledger.store import FaultRecord

__all__ = ["KIND", "PodKillKind"]


def _api(spec: dict[str, Any]) -> Api:
    return Api(Cluster.from_spec(spec))


class PodKillKind(FixedFault):
    """Delete pods; nothing to revert, nothing to change."""

    name = "pod-kill"
    Spec = PodKillSpec

    def __repr__(self) -> str:
        return f"<fault kind {self.name}>"

    def validate(self, spec: PodKillSpec) -> None:
        """Nothing beyond the spec: the plan (policy, PDBs, RBAC) was checked before."""

    def revertible(self, spec: PodKillSpec) -> bool:
        """Never: a killed pod cannot be brought back (its controller replaces it)."""
        return False

    def inject(self, spec: PodKillSpec, record: FaultRecord) -> dict[str, Any]:
        """Delete every target; ``{"killed", "gone", "failed"}``; raise when none was killed."""
        api = _api(spec.model_dump())
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

    def observe(self, record: FaultRecord) -> bool | dict[str, Any]:
        """``{"deleted": [names]}`` when every killed pod is gone or terminating, else false."""
        killed = record.handles.get("killed") or []
        if not killed:
            return False
        api = _api(record.spec)
        base = f"/api/v1/namespaces/{record.spec['namespace']}/pods/"
        for pod in killed:
            obj = api.get(base + pod["name"])
            meta = (obj or {}).get("metadata") or {}
            still_there = obj is not None and meta.get("uid") == pod["uid"]
            if still_there and not meta.get("deletionTimestamp"):
                return False
        return {"deleted": [pod["name"] for pod in killed]}


KIND = PodKillKind()
_: FaultKind[PodKillSpec] = KIND
