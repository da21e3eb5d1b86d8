"""Probes of Kubernetes workloads: ready replicas, all pods ready, time to recover after a pod kill.

Read-only. Kubeconfig and TLS are resolved as for the Kubernetes actions
(``configuration.kubeconfig_path`` / ``kubernetes_context``, secrets or environment ``KUBECONFIG`` /
``KUBERNETES_CONTEXT``; TLS verified).
"""

# No ``from __future__ import annotations`` here: Chaos Toolkit's discovery reads real annotations.

from chaosguard.errors import InvalidArgument
from chaosguard.kube.api import Api
from chaosguard.kube.config import resolve_cluster
from chaosguard.kube.names import valid_namespace
from chaosguard.kube.workloads import (
    last_kill,
    pods_ready,
    ready_replicas,
    wait_recovered,
    workload,
)
from chaosguard.policy.selectors import parse_selector

__all__ = [
    "all_pods_ready",
    "deployment_ready_replicas",
    "statefulset_ready_replicas",
    "time_to_recovery",
]


def _api(configuration: dict | None, secrets: dict | None) -> Api:

    return Api(resolve_cluster(configuration, secrets))


def _ns(namespace: str) -> str:

    try:
        return valid_namespace(namespace)
    except ValueError as exc:
        raise InvalidArgument("namespace", f"{exc} (got {namespace!r})") from None


def deployment_ready_replicas(
    namespace: str, name: str, configuration: dict = None, secrets: dict = None
) -> int:
    """How many replicas of the Deployment ``name`` are ready now (``status.readyReplicas``).

    :param namespace: the Deployment's namespace.
    :param name: the Deployment's name.
    :param configuration: Chaos Toolkit configuration (``kubeconfig_path``, ``kubernetes_context``).
    :param secrets: Chaos Toolkit secrets (``KUBECONFIG``, ``KUBERNETES_CONTEXT``).
    """

    return ready_replicas(
        workload(_api(configuration, secrets), _ns(namespace), "deployment", name)
    )


def statefulset_ready_replicas(
    namespace: str, name: str, configuration: dict = None, secrets: dict = None
) -> int:
    """How many replicas of the StatefulSet ``name`` are ready now (``status.readyReplicas``).

    :param namespace: the StatefulSet's namespace.
    :param name: the StatefulSet's name.
    :param configuration: Chaos Toolkit configuration (``kubeconfig_path``, ``kubernetes_context``).
    :param secrets: Chaos Toolkit secrets (``KUBECONFIG``, ``KUBERNETES_CONTEXT``).
    """

    return ready_replicas(
        workload(_api(configuration, secrets), _ns(namespace), "statefulset", name)
    )


def all_pods_ready(
    namespace: str,
    label_selector: str,
    min_pods: int = 1,
    configuration: dict = None,
    secrets: dict = None,
) -> bool:
    """True when at least ``min_pods`` pods match ``label_selector`` and every one of them is Ready.

    Pods already terminating are not counted.

    :param namespace: the pods' namespace.
    :param label_selector: kubectl-style label selector, e.g. ``app=web`` (required).
    :param min_pods: fewer matching pods than this is False (default 1: no pod at all is not
        "ready").
    :param configuration: Chaos Toolkit configuration (``kubeconfig_path``, ``kubernetes_context``).
    :param secrets: Chaos Toolkit secrets (``KUBECONFIG``, ``KUBERNETES_CONTEXT``).
    """

    try:
        selector = parse_selector(label_selector).text
    except ValueError as exc:
        raise InvalidArgument("label_selector", str(exc)) from None
    ready, active = pods_ready(_api(configuration, secrets), _ns(namespace), selector)
    return active >= min_pods and ready == active


def time_to_recovery(
    namespace: str,
    name: str,
    kind: str = "deployment",
    timeout_s: float = 120.0,
    interval_s: float = 0.2,
    configuration: dict = None,
    secrets: dict = None,
) -> float:
    """Wait, bounded, until the workload is fully ready again; return the seconds since the kill.

    The clock starts at the last pod kill this run made in ``namespace`` (``kill_pods``), or at the
    probe's start when there was none. Fully ready: the controller has seen the current spec,
    reports ``readyReplicas >= replicas``, and a fresh pod list confirms that many Ready pods, none
    of them a killed one. Fails (naming the ready count) when ``timeout_s`` passes first.

    :param namespace: the workload's namespace.
    :param name: the Deployment's (or StatefulSet's) name.
    :param kind: ``deployment`` (default) or ``statefulset``.
    :param timeout_s: give up after this many seconds of waiting.
    :param interval_s: seconds between two looks (default 0.2; it bounds the measurement's
        resolution).
    :param configuration: Chaos Toolkit configuration (``kubeconfig_path``, ``kubernetes_context``).
    :param secrets: Chaos Toolkit secrets (``KUBECONFIG``, ``KUBERNETES_CONTEXT``).
    """

    if not 0 < timeout_s <= 3600:
        raise InvalidArgument("timeout_s", f"must be > 0 and <= 3600 (got {timeout_s!r})")
    if not 0.01 <= interval_s <= 60:
        raise InvalidArgument("interval_s", f"must be between 0.01 and 60 (got {interval_s!r})")
    ns = _ns(namespace)
    kill = last_kill(ns)
    seconds = wait_recovered(
        _api(configuration, secrets),
        ns,
        kind,
        name,
        since=kill.at if kill else None,
        killed=kill.uids if kill else frozenset(),
        timeout_s=timeout_s,
        interval_s=interval_s,
    )
    return round(seconds, 3)
