"""The Chaos Mesh kinds, ``chaosmesh-network`` and ``chaosmesh-stress``: the object is the fault.

Validate asks the cluster to judge the object against its CRD schema (server-side dry run: nothing
is stored). Inject creates ``chaos-mesh.org/v1alpha1`` ``<Kind>`` named :func:`object_name` (derived
from the ledger record id, which is fsync'ed before) with our labels and annotations; the handles
add its uid. Revert deletes it by that name (404 → ``vanished``), then waits up to
:data:`REVERT_WAIT_S` for the object to be gone: Chaos Mesh keeps a finalizer until its daemons have
recovered the pods, so "gone" means the fault is over. Still there after the wait →
:class:`~chaosguard.errors.RevertError` (the record stays open and ``chaos cleanup`` tries again).
Observe reads the object back.

A fault cannot change: Chaos Mesh's admission webhook refuses updates of a chaos object's spec, so a
change is refused before anything is written (revert, then inject the new fault).
"""

from __future__ import annotations

import re
import socket
import time
from typing import Any

from chaosguard.errors import InvalidArgument, Refused, RevertError
from chaosguard.faults.chaosmesh.handles import checked
from chaosguard.faults.chaosmesh.spec import NETWORK_FIELDS, STRESS_FIELDS, ChaosMeshSpec
from chaosguard.faults.contract import FaultKind
from chaosguard.kube.api import Api, ApiError
from chaosguard.kube.config import Cluster
from chaosguard.ledger.identity import self_identity
from chaosguard.ledger.store import FaultRecord

__all__ = [
    "ANN_RECORD",
    "ANN_RUNNER",
    "GROUP",
    "LABEL_MANAGED",
    "LABEL_RECORD",
    "LABEL_RUN",
    "MANAGED_SELECTOR",
    "NETWORK_KIND",
    "REVERT_WAIT_S",
    "STRESS_KIND",
    "VERSION",
    "ChaosMeshKind",
    "label_value",
    "object_name",
    "schema_error",
]

GROUP = "chaos-mesh.org"
VERSION = "v1alpha1"
LABEL_MANAGED = "app.kubernetes.io/managed-by"
LABEL_RUN = "chaosguard.io/run-id"
LABEL_RECORD = "chaosguard.io/record"
ANN_RECORD = "chaosguard.io/record"
ANN_RUNNER = "chaosguard.io/runner"  # "<host>/<pid>/<start time>"
MANAGED_SELECTOR = f"{LABEL_MANAGED}=chaosguard,{LABEL_RUN}"
REVERT_WAIT_S = 30.0


def label_value(text: str) -> str:
    """``text`` as a label value (``[A-Za-z0-9._-]``, alphanumeric ends, at most 63 characters)."""
    value = re.sub(r"[^A-Za-z0-9._-]", "-", text)[-63:]
    return value.strip("-_.") or "x"


def object_name(record_id: str) -> str:
    """The object's name for a record: ``chaosguard-<record id>`` as a DNS label."""
    tail = re.sub(r"[^a-z0-9-]", "-", record_id.lower()).strip("-")[-52:].strip("-")
    return f"chaosguard-{tail}"


def _runner() -> str:
    pid, start = self_identity()
    return f"{socket.gethostname()}/{pid}/{start:.3f}"


def _in_extra(field: str, extra: dict[str, Any] | None) -> bool:
    node: Any = extra or {}
    for part in field.removeprefix("spec.").split("."):
        if not isinstance(node, dict) or part.split("[")[0] not in node:
            return False
        node = node[part.split("[")[0]]
    return bool(extra)


def schema_error(
    exc: Any, kind: str, fields: dict[str, str], extra: dict[str, Any] | None = None
) -> InvalidArgument | None:
    """A 422 from the API server (CRD schema) as ``InvalidArgument`` naming our argument, else None.

    :param fields: CR field path (``spec.delay.latency``) → activity argument (``latency_ms``).
    :param extra: the user's ``extra`` spec fields: a refused field that came from there is named
        ``extra``.
    """
    if getattr(exc, "status", None) not in (400, 422):
        return None
    field, message = exc.causes[0] if exc.causes else ("", str(exc))
    if field and _in_extra(field, extra):
        argument = "extra"
    else:
        argument = next(
            (arg for cr, arg in fields.items() if field == cr or field.startswith(cr + "[")),
            field or "spec",
        )
    where = f"{field}: " if field and field not in message else ""
    return InvalidArgument(
        argument, f"rejected by the {kind} schema of the cluster: {where}{message}"
    )


def _api(spec: dict[str, Any]) -> Api:
    return Api(Cluster.from_spec(spec))


class ChaosMeshKind:
    """A Chaos Mesh object kind (``NetworkChaos``, ``StressChaos``) as a fault kind."""

    Spec = ChaosMeshSpec

    def __init__(self, name: str, kind: str, plural: str, fields: dict[str, str]) -> None:
        self.name = name
        self.kind = kind
        self.plural = plural
        self.fields = fields

    def __repr__(self) -> str:
        return f"<fault kind {self.name}>"

    def path(self, namespace: str, name: str = "") -> str:
        """The API path of the collection (or one object)."""
        base = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{name}" if name else base

    def manifest(self, spec: ChaosMeshSpec, record_id: str, run_id: str) -> dict[str, Any]:
        """The object to create for ``record_id``."""
        return {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": self.kind,
            "metadata": {
                "name": object_name(record_id),
                "namespace": spec.namespace,
                "labels": {
                    LABEL_MANAGED: "chaosguard",
                    LABEL_RUN: label_value(run_id),
                    LABEL_RECORD: label_value(record_id),
                },
                "annotations": {ANN_RECORD: record_id, ANN_RUNNER: _runner()},
            },
            "spec": dict(spec.spec),
        }

    def _convert(self, exc: ApiError, extra: dict[str, Any] | None = None) -> Exception:
        if exc.status == 404:
            return InvalidArgument(
                "namespace",
                f"{self.kind} is not served by this cluster (are the "
                f"Chaos Mesh CRDs installed?) or the namespace does not "
                f"exist: {exc}",
            )
        return schema_error(exc, self.kind, self.fields, extra) or exc

    def validate(self, spec: ChaosMeshSpec) -> None:
        """Server-side dry run: the cluster's CRD schema judges the object; nothing is stored."""
        api = _api(spec.model_dump())
        try:
            api.create(
                self.path(spec.namespace), self.manifest(spec, "dry-run.0", "dry-run"), dry_run=True
            )
        except ApiError as exc:
            raise self._convert(exc, spec.extra) from None

    def revertible(self, spec: ChaosMeshSpec) -> bool:
        """Always: deleting the object ends the fault."""
        return True

    def inject(self, spec: ChaosMeshSpec, record: FaultRecord) -> dict[str, Any]:
        """Create the object; return ``{"name", "namespace", "uid", "kind"}``."""
        api = _api(spec.model_dump())
        body = self.manifest(spec, record.id, record.run_id)
        try:
            created = api.create(self.path(spec.namespace), body)
        except ApiError as exc:
            raise self._convert(exc, spec.extra) from None
        meta = created.get("metadata") or {}
        return {
            "name": meta.get("name", body["metadata"]["name"]),
            "namespace": spec.namespace,
            "uid": meta.get("uid", ""),
            "kind": self.kind,
        }

    def validate_change(self, record: FaultRecord, new_spec: ChaosMeshSpec) -> None:
        """Always refused: Chaos Mesh does not let a chaos object's spec change."""
        raise Refused(
            f"a {self.name} fault cannot be changed (Chaos Mesh refuses updates of a {self.kind}'s "
            f"spec); revert record {record.id} and inject a new one"
        )

    def change(self, record: FaultRecord, new_spec: ChaosMeshSpec) -> dict[str, Any]:
        """Never reached through the contract (:meth:`validate_change` refuses first)."""
        self.validate_change(record, new_spec)
        raise AssertionError("unreachable")  # pragma: no cover

    def _current(self, api: Api, record: FaultRecord) -> dict[str, Any] | None:
        """The record's object as the cluster has it now (``None``: gone, or another one)."""
        name = record.handles.get("name") or object_name(record.id)
        obj = api.get(self.path(record.spec["namespace"], name))
        uid = record.handles.get("uid")
        if obj is None or (uid and (obj.get("metadata") or {}).get("uid") != uid):
            return None
        return obj

    def revert(self, record: FaultRecord) -> str:
        """Delete the object (``vanished`` when it is already gone) and wait until it is gone.

        The record re-validates first (Kubernetes names, a uid; else
        :class:`~chaosguard.errors.Refused`, nothing sent). The DELETE always carries a uid
        precondition: without a recorded uid the object is read and deleted only if it carries
        this record's annotation (else ``vanished``: ours was never created).
        """
        try:
            spec, handles = checked(record)
        except ValueError as exc:
            raise Refused(f"record {record.id} does not re-validate: {exc}") from None
        api = _api(spec.model_dump())
        namespace = spec.namespace
        name = handles.name or object_name(record.id)
        uid = handles.uid
        if not uid:
            obj = api.get(self.path(namespace, name))
            meta = (obj or {}).get("metadata") or {}
            if obj is None or (meta.get("annotations") or {}).get(ANN_RECORD) != record.id:
                return "vanished"
            uid = str(meta.get("uid") or "")
            if not uid:
                raise RevertError(f"{self.kind} {namespace}/{name} has no uid; not deleted")
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "preconditions": {"uid": uid},
        }
        status, _ = api.delete(self.path(namespace, name), body)
        if status in (404, 409):  # gone, or a different object now has the name
            return "vanished"
        deadline = time.monotonic() + REVERT_WAIT_S
        while True:
            obj = self._current(api, record)
            if obj is None:
                return "reverted"
            if time.monotonic() >= deadline:
                finalizers = (
                    ", ".join((obj.get("metadata") or {}).get("finalizers") or []) or "none"
                )
                raise RevertError(
                    f"{self.kind} {namespace}/{name} is still there {REVERT_WAIT_S:g} s after "
                    f"its deletion (finalizers: {finalizers}); Chaos Mesh has not recovered "
                    "it yet"
                )
            time.sleep(0.2)

    def observe(self, record: FaultRecord) -> bool | dict[str, Any]:
        """The object while it exists (until Chaos Mesh has recovered the pods, it keeps it):
        ``{"kind", "name", "uid", "spec", "deleting"}``; false once it is gone."""
        obj = self._current(_api(record.spec), record)
        if obj is None:
            return False
        meta = obj.get("metadata") or {}
        return {
            "kind": self.kind,
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "spec": obj.get("spec"),
            "deleting": bool(meta.get("deletionTimestamp")),
        }


NETWORK_KIND = ChaosMeshKind("chaosmesh-network", "NetworkChaos", "networkchaos", NETWORK_FIELDS)
STRESS_KIND = ChaosMeshKind("chaosmesh-stress", "StressChaos", "stresschaos", STRESS_FIELDS)

_network: FaultKind[ChaosMeshSpec] = NETWORK_KIND
_stress: FaultKind[ChaosMeshSpec] = STRESS_KIND
