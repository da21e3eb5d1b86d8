"""The ``configmap`` kill-switch source: a key of a ConfigMap, read through the default kubeconfig.

Same meaning as the ``file`` source, so operators can ``kubectl create configmap`` to stop everything:

- the ConfigMap (or its key) does not exist → off;
- the key says ``0``/``false``/``off``/``no`` → off; any other value → on;
- anything that keeps us from reading it (no kubeconfig, unreachable API server, 403, timeout) → on
  (fail closed — :func:`~chaosguard.safety.policy.killswitch.kill_switch_state` also turns an exception
  into "on").

The cluster is the one :func:`~chaosguard.kube.config.resolve_cluster` finds without an experiment
(``$KUBECONFIG``, ``$KUBERNETES_CONTEXT``, ``~/.kube/config``, in-cluster).

:func:`install` registers the reader with :func:`~chaosguard.safety.policy.killswitch.register_reader`
(:func:`uninstall` puts back what was there). The guard reads the kill switch at preflight, before any
Kubernetes activity runs, so the registration belongs where the kill switch is read: the ``configmap``
entry of the kill-switch module should import :func:`read_configmap` lazily (``kubernetes`` is then
imported only when a ConfigMap switch is configured).
"""

from __future__ import annotations

from typing import Any

__all__ = ["install", "read_configmap", "uninstall"]

_replaced: list[Any] = []


def read_configmap(ref: Any, timeout_s: float) -> tuple[bool, str]:
    """Read ``ref`` (a :class:`~chaosguard.safety.policy.model.ConfigMapRef`); ``(on, reason)``."""
    from chaosguard.errors import ChaosGuardError
    from chaosguard.kube.api import Api
    from chaosguard.kube.config import resolve_cluster
    from chaosguard.safety.policy.killswitch import OFF_WORDS

    where = f"configmap {ref.namespace}/{ref.name}"
    try:
        api = Api(resolve_cluster())
        doc = api.get(f"/api/v1/namespaces/{ref.namespace}/configmaps/{ref.name}", timeout=timeout_s)
    except ChaosGuardError as exc:
        return True, f"{where} cannot be read ({exc}; fail closed)"
    if doc is None:
        return False, f"{where} does not exist"
    data = doc.get("data") or {}
    if ref.key not in data:
        return False, f"{where} has no key {ref.key!r}"
    word = str(data[ref.key]).strip().lower()
    if word in OFF_WORDS:
        return False, f"{where} key {ref.key} says {word!r}"
    return True, f"{where} key {ref.key} says {str(data[ref.key]).strip()[:20]!r}"


def install() -> None:
    """Register :func:`read_configmap` as the ``configmap`` kill-switch reader (idempotent)."""
    from chaosguard.safety.policy.killswitch import register_reader

    previous = register_reader("configmap", read_configmap)
    if previous is not read_configmap:
        _replaced.append(previous)


def uninstall() -> None:
    """Put back the reader :func:`install` replaced (tests; a process that stops using Kubernetes)."""
    from chaosguard.safety.policy.killswitch import register_reader, reader_for

    if _replaced and reader_for("configmap") is read_configmap:
        register_reader("configmap", _replaced.pop())
