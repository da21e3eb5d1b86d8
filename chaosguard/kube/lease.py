"""A ``coordination.k8s.io/v1`` Lease per namespace: who may disrupt it now, across machines.

One Lease named :data:`LEASE_NAME` in each target namespace says which guarded run holds it: its
``holderIdentity`` is ``<run id>@<host>``, its annotations name the host, the run id and the
runner's pid, ``acquireTime`` says since when, ``renewTime`` + ``leaseDurationSeconds`` until when.

- :func:`take` creates the Lease, or takes over one whose holder let it expire (``renewTime`` +
  ``leaseDurationSeconds`` in the past, by this machine's clock) or released it; a Lease held by
  another run and not expired is :class:`~chaosguard.errors.Refused`, naming the holder (host, run
  id, since when). Every write carries the ``resourceVersion`` it read: two runners racing for the
  same Lease cannot both win (the loser's write is a 409 conflict, refused).
- :func:`renew` moves ``renewTime`` on, only while the Lease still names us.
- :func:`release` deletes the Lease, only while it still names us (``preconditions``: its uid and
  resourceVersion), so a release never removes a successor's Lease.

Clocks: expiry compares another machine's ``renewTime`` with ours, so clocks must agree to within a
fraction of the lease duration (NTP does). The verbs used are exactly ``get``, ``create``,
``update`` and ``delete`` of ``leases`` (what a game day's CronJob Role grants).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chaosguard.errors import Refused
from chaosguard.kube.api import Api, ApiError

__all__ = ["LEASE_NAME", "LOST", "Holder", "lease_path", "release", "renew", "take"]

LEASE_NAME = "chaosguard-scope"
GROUP_PATH = "/apis/coordination.k8s.io/v1"
ANN_HOST = "chaosguard.io/host"
ANN_RUN = "chaosguard.io/run-id"
ANN_PID = "chaosguard.io/pid"


#: the ``reason`` of the :class:`ApiError` :func:`renew` raises when the Lease no longer names us
LOST = "lease-lost"


def _lost(message: str) -> ApiError:
    return ApiError(message, 0, LOST)


@dataclass(frozen=True)
class Holder:
    """Who holds a namespace's Lease, as its object says."""

    namespace: str
    identity: str
    host: str
    run_id: str
    pid: int
    since: float
    renewed: float
    duration_s: int

    @property
    def expires(self) -> float:
        """When the Lease expires unless renewed (epoch seconds)."""
        return self.renewed + self.duration_s

    def describe(self) -> str:
        """``run R on host H (pid P) since <UTC time>``."""
        since = datetime.fromtimestamp(self.since, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        pid = self.pid or "?"
        return f"run {self.run_id or '?'} on host {self.host or '?'} (pid {pid}) since {since}"

    def as_dict(self) -> dict[str, Any]:
        """What the journal keeps of a holder taken over."""
        return {
            "namespace": self.namespace,
            "run_id": self.run_id,
            "host": self.host,
            "pid": self.pid,
            "since": self.since,
            "renewed": self.renewed,
            "lease_duration_s": self.duration_s,
        }


def identity_of(run_id: str, host: str | None = None) -> str:
    """The ``holderIdentity`` of ``run_id`` on this host."""
    return f"{run_id}@{host or socket.gethostname()}"


def lease_path(namespace: str, name: str = LEASE_NAME) -> str:
    """The API path of the Lease ``name`` in ``namespace``."""
    return f"{GROUP_PATH}/namespaces/{namespace}/leases/{name}"


def _micro(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _epoch(text: Any) -> float:
    if not isinstance(text, str) or not text:
        return 0.0
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError, OSError):
        return 0.0


def holder_of(namespace: str, lease: dict[str, Any]) -> Holder | None:
    """The holder a Lease object names (``None``: nobody, e.g. released by clearing it)."""
    spec = lease.get("spec") or {}
    identity = str(spec.get("holderIdentity") or "")
    if not identity:
        return None
    ann = (lease.get("metadata") or {}).get("annotations") or {}
    run_id, _, host = identity.rpartition("@")
    pid = 0
    if ann.get(ANN_RUN) == run_id and ann.get(ANN_HOST) == host:  # the annotations are its own
        try:
            pid = int(ann.get(ANN_PID) or 0)
        except ValueError:
            pid = 0
    renewed = _epoch(spec.get("renewTime")) or _epoch(spec.get("acquireTime"))
    return Holder(
        namespace,
        identity,
        host,
        run_id,
        pid,
        _epoch(spec.get("acquireTime")) or renewed,
        renewed,
        _seconds(spec.get("leaseDurationSeconds")),
    )


def _seconds(value: Any) -> int:
    """A non-negative whole number from a Lease field (0 when it is not one)."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def _body(
    namespace: str,
    run_id: str,
    pid: int,
    duration_s: int,
    now: float,
    transitions: int,
    old: dict[str, Any] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": LEASE_NAME,
        "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": "chaosguard"},
        "annotations": {
            ANN_HOST: socket.gethostname(),
            ANN_RUN: run_id,
            ANN_PID: str(pid),
        },
    }
    if old is not None:
        meta["resourceVersion"] = (old.get("metadata") or {}).get("resourceVersion")
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": meta,
        "spec": {
            "holderIdentity": identity_of(run_id),
            "leaseDurationSeconds": duration_s,
            "acquireTime": _micro(now),
            "renewTime": _micro(now),
            "leaseTransitions": transitions,
        },
    }


def _refusal(holder: Holder, now: float) -> Refused:
    left = max(0.0, holder.expires - now)
    return Refused(
        f"namespace '{holder.namespace}' is held by guarded {holder.describe()} "
        f"(Lease {LEASE_NAME}, expires in {left:.0f} s unless renewed); wait for it to end"
    )


def take(
    api: Api, namespace: str, run_id: str, pid: int, duration_s: int, now: float
) -> Holder | None:
    """Take the Lease of ``namespace`` for ``run_id``; the expired holder taken over, if any.

    :raises Refused: another run holds it and it has not expired (naming that run), or another
        runner won a race for it.
    """
    path = lease_path(namespace)
    current = api.get(path)
    if current is None:
        status, _ = api.request(
            "POST",
            f"{GROUP_PATH}/namespaces/{namespace}/leases",
            body=_body(namespace, run_id, pid, duration_s, now, 0),
        )
        if status == 409:
            raced = api.get(path) or {}
            holder = holder_of(namespace, raced)
            if holder is not None:
                raise _refusal(holder, now)
            raise Refused(f"namespace '{namespace}': another runner took Lease {LEASE_NAME} first")
        if status == 404:
            raise Refused(f"namespace '{namespace}' does not exist (cannot take its Lease)")
        return None
    holder = holder_of(namespace, current)
    mine = holder is not None and holder.identity == identity_of(run_id)
    if holder is not None and not mine and holder.expires > now:
        raise _refusal(holder, now)
    transitions = _seconds((current.get("spec") or {}).get("leaseTransitions"))
    body = _body(namespace, run_id, pid, duration_s, now, transitions + (0 if mine else 1), current)
    status, _ = api.request("PUT", path, body=body)
    if status in (404, 409):
        raise Refused(
            f"namespace '{namespace}': another runner took over Lease {LEASE_NAME} first "
            f"(HTTP {status}); try again"
        )
    return None if mine else holder


def renew(api: Api, namespace: str, run_id: str, now: float) -> None:
    """Move ``renewTime`` of our Lease in ``namespace`` to ``now``.

    :raises ApiError: with ``reason`` :data:`LOST` when the Lease is gone or names another holder
        (or a write raced ours); as :meth:`Api.request` raises it otherwise.
    """
    path = lease_path(namespace)
    current = api.get(path)
    holder = holder_of(namespace, current) if current is not None else None
    if current is None or holder is None or holder.identity != identity_of(run_id):
        who = holder.describe() if holder else "nobody (deleted)"
        raise _lost(f"Lease {LEASE_NAME} of namespace '{namespace}' now names {who}")
    body = dict(current)
    body["spec"] = {**(current.get("spec") or {}), "renewTime": _micro(now)}
    status, _ = api.request("PUT", path, body=body)
    if status in (404, 409):
        raise _lost(
            f"Lease {LEASE_NAME} of namespace '{namespace}' changed under us (HTTP {status})"
        )


def release(api: Api, namespace: str, run_id: str) -> bool:
    """Delete our Lease in ``namespace`` (never another holder's); True when it was ours."""
    path = lease_path(namespace)
    current = api.get(path)
    holder = holder_of(namespace, current) if current is not None else None
    if current is None or holder is None or holder.identity != identity_of(run_id):
        return False
    meta = current.get("metadata") or {}
    body = {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "preconditions": {"uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion")},
    }
    status, _ = api.delete(path, body)
    return status not in (404, 409)
