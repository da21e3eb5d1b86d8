"""Read a ConfigMap's data: the cluster side of the ``configmap`` kill-switch source.

The cluster is the one :func:`~chaosguard.kube.config.resolve_cluster` finds without an experiment
(``$KUBECONFIG``, ``$KUBERNETES_CONTEXT``, ``~/.kube/config``, in-cluster). What the value
*means* (on, off, fail closed) is the policy's business: :mod:`chaosguard.policy.killswitch`.
"""

from __future__ import annotations

from chaosguard.kube.api import Api
from chaosguard.kube.config import resolve_cluster

__all__ = ["read_configmap"]


def read_configmap(namespace: str, name: str, timeout_s: float) -> dict[str, str] | None:
    """The ``data`` of ConfigMap ``namespace/name``; ``None`` when it does not exist.

    :raises ChaosGuardError: when it cannot be read (no kubeconfig, unreachable API server, 403,
        timeout).
    """
    api = Api(resolve_cluster())
    doc = api.get(f"/api/v1/namespaces/{namespace}/configmaps/{name}", timeout=timeout_s)
    if doc is None:
        return None
    return {str(k): str(v) for k, v in (doc.get("data") or {}).items()}
