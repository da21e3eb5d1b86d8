"""Smoke tests for the local Kubernetes test control plane (tests/k8s_cluster.py).

What runs here: a real etcd + kube-apiserver (RBAC, TLS) + kube-controller-manager +
kube-scheduler. What does NOT run: no kubelet, no container runtime, no kube-proxy,
no DNS and no Chaos Mesh controller/daemon. kwok fakes the node heartbeats and the
pod lifecycle (Pending -> Running/Ready -> gone on delete), so "Running" below means
"kwok set the status", not that a container exists. Chaos Mesh objects are only
stored and validated against the CRD schema; nothing injects the fault.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.k8s_cluster import TestCluster

pytestmark = pytest.mark.kubernetes

LABELS = {"app": "web"}


def _wait_for(what: str, fn: Callable[[], Any], timeout: float = 90, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


def _ready_pods(cluster: TestCluster, ns: str) -> list[dict]:
    pods = cluster.kubectl_json("get", "pods", "-n", ns, "-l", "app=web")["items"]
    return [
        p
        for p in pods
        if p["status"].get("phase") == "Running"
        and not p["metadata"].get("deletionTimestamp")
        and any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in p["status"].get("conditions", [])
        )
    ]


def _deployment(replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": LABELS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {
                    # Never pulled: kwok fakes the container, no runtime exists here.
                    "containers": [{"name": "web", "image": "registry.invalid/chaosguard/web:1"}]
                },
            },
        },
    }


def test_cluster_basics(k8s_cluster: TestCluster) -> None:
    version = k8s_cluster.kubectl_json("version")
    assert version["serverVersion"]["gitVersion"].startswith("v1.35.")
    nodes = k8s_cluster.kubectl_json("get", "nodes")["items"]
    assert [n["metadata"]["name"] for n in nodes] == k8s_cluster.node_names
    # RBAC is really on: an unknown identity is refused.
    forbidden = k8s_cluster.kubectl(
        "auth", "can-i", "list", "pods", "--as=someone-else", check=False
    )
    assert forbidden.stdout.strip() == "no"


def test_deployment_pods_become_ready_and_are_replaced(
    k8s_cluster: TestCluster, k8s_namespace: str
) -> None:
    ns = k8s_namespace
    k8s_cluster.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(_deployment(3)))

    def three_ready() -> list[dict] | None:
        ready = _ready_pods(k8s_cluster, ns)
        return ready if len(ready) == 3 else None

    pods = _wait_for("3 Running/Ready pods", three_ready)
    assert {p["spec"]["nodeName"] for p in pods} <= set(k8s_cluster.node_names)
    owners = {p["metadata"]["ownerReferences"][0]["name"] for p in pods}
    assert len(owners) == 1, owners  # one ReplicaSet
    (rs_name,) = owners

    victim = pods[0]["metadata"]["name"]
    # kwok's pod-delete stage plays the kubelet's part in finishing the deletion.
    k8s_cluster.kubectl("delete", "pod", "-n", ns, victim, "--wait=true", "--timeout=60s")

    def replaced() -> list[dict] | None:
        ready = _ready_pods(k8s_cluster, ns)
        names = {p["metadata"]["name"] for p in ready}
        return ready if len(ready) == 3 and victim not in names else None

    after = _wait_for("the ReplicaSet to replace the deleted pod", replaced)
    new = {p["metadata"]["name"] for p in after} - {p["metadata"]["name"] for p in pods}
    assert len(new) == 1, new
    assert {p["metadata"]["ownerReferences"][0]["name"] for p in after} == {rs_name}

    rs = k8s_cluster.kubectl_json("get", "replicaset", "-n", ns, rs_name)
    assert rs["status"].get("readyReplicas") == 3


def _network_chaos(name: str, ns: str, **delay: Any) -> dict:
    return {
        "apiVersion": "chaos-mesh.org/v1alpha1",
        "kind": "NetworkChaos",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "action": "delay",
            "mode": "all",
            "selector": {"namespaces": [ns], "labelSelectors": LABELS},
            "delay": {"latency": "100ms", "jitter": "10ms", "correlation": "25", **delay},
            "duration": "30s",
        },
    }


def test_network_chaos_is_stored_and_schema_validated(
    k8s_cluster: TestCluster, k8s_namespace: str
) -> None:
    # Stored and schema-checked only: no Chaos Mesh controller-manager or
    # chaos-daemon runs here, so no delay is ever injected.
    ns = k8s_namespace
    k8s_cluster.kubectl("create", "-f", "-", input=json.dumps(_network_chaos("delay-web", ns)))
    stored = k8s_cluster.kubectl_json("get", "networkchaos", "-n", ns, "delay-web")
    assert stored["spec"]["action"] == "delay"
    assert stored["spec"]["delay"]["latency"] == "100ms"
    assert stored["spec"]["selector"]["labelSelectors"] == LABELS
    assert stored["spec"]["direction"] == "to"  # default filled in by the CRD schema

    # Wrong type: the schema types delay.latency as a string.
    bad_type = k8s_cluster.kubectl(
        "create",
        "-f",
        "-",
        input=json.dumps(_network_chaos("bad-type", ns, latency=100)),
        check=False,
    )
    assert bad_type.returncode != 0
    assert "spec.delay.latency" in bad_type.stderr
    assert "must be of type string" in bad_type.stderr

    # Value outside the schema's enum.
    bad_enum = _network_chaos("bad-enum", ns)
    bad_enum["spec"]["action"] = "explode"
    rejected = k8s_cluster.kubectl("create", "-f", "-", input=json.dumps(bad_enum), check=False)
    assert rejected.returncode != 0
    assert "spec.action" in rejected.stderr and "Unsupported value" in rejected.stderr

    names = [
        i["metadata"]["name"]
        for i in k8s_cluster.kubectl_json("get", "networkchaos", "-n", ns)["items"]
    ]
    assert names == ["delay-web"]
