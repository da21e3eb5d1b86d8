"""Fixtures and helpers for chaosguard's Kubernetes tests (import the fixtures into a test module).

Everything runs against the session's real API server (``k8s_cluster``): kwok plays the kubelet
(pods become Running/Ready, deleted pods go away, ReplicaSets replace them). No Chaos Mesh
controller or daemon runs: Chaos Mesh objects are stored and schema-validated, never applied.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import ROOT, allowing_test_helpers
from tests.k8s_cluster import TestCluster

__all__ = [
    "EXAMPLES",
    "MANAGED",
    "active_pods",
    "chaos_cmd",
    "deployment",
    "guarded_example",
    "kube",
    "node_heartbeat",
    "policy",
    "run_env",
    "wait_for",
    "wait_ready",
]

#: the label selector of every Chaos Mesh object chaosguard creates
MANAGED = "app.kubernetes.io/managed-by=chaosguard"
EXAMPLES = ROOT / "experiments" / "kubernetes"


@pytest.fixture(scope="session")
def node_heartbeat(k8s_cluster: TestCluster) -> Iterator[None]:
    """Renew a Lease for each of kwok's fake nodes every 10 s while the session lasts.

    kwok (started without ``--node-lease-duration-seconds``) keeps no node Lease and posts node
    status only every ~50-60 s, right at the controller manager's 50 s node-monitor grace period: in
    a session longer than a minute a node flaps NotReady, the node lifecycle controller marks every
    pod on it not Ready, and kwok never makes them Ready again (its pod-ready stage only acts on
    Pending pods). The node lifecycle controller counts a renewed Lease as a heartbeat, so these
    leases keep the nodes Ready. (The lasting fix is that kwok flag in ``tests/k8s_cluster.py``.)
    """
    from chaosguard.kube.api import Api
    from chaosguard.kube.config import Cluster

    api = Api(Cluster(str(k8s_cluster.kubeconfig), "chaosguard-test"))
    base = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
    stop = threading.Event()

    def renew() -> None:
        while True:
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            for node in k8s_cluster.node_names:
                spec = {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": now}
                try:
                    status, _ = api.request(
                        "PATCH",
                        f"{base}/{node}",
                        body={"spec": spec},
                        content_type="application/merge-patch+json",
                    )
                    if status == 404:
                        api.create(
                            base,
                            {
                                "apiVersion": "coordination.k8s.io/v1",
                                "kind": "Lease",
                                "metadata": {"name": node},
                                "spec": spec,
                            },
                        )
                except Exception:
                    pass
            if stop.wait(10):
                return

    thread = threading.Thread(target=renew, name="kwok-node-leases", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=15)


@pytest.fixture()
def kube(
    k8s_cluster: TestCluster, node_heartbeat: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestCluster]:
    """The cluster, with ``$KUBECONFIG`` pointing at it and no context override (the operator
    policy is the folder's: actions may run outside a guarded run)."""
    monkeypatch.setenv("KUBECONFIG", str(k8s_cluster.kubeconfig))
    for name in ("KUBERNETES_CONTEXT", "KUBERNETES_VERIFY_SSL"):
        monkeypatch.delenv(name, raising=False)
    yield k8s_cluster


@pytest.fixture()
def policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """``policy(**fields)`` writes a policy file and makes it ``$CHAOSGUARD_POLICY``."""

    def write(**fields: Any) -> Path:
        path = tmp_path / "policy.yaml"
        # these tests call the actions directly, outside a guarded run
        path.write_text(yaml.safe_dump({"allow_unguarded": True, **fields}))
        monkeypatch.setenv("CHAOSGUARD_POLICY", str(path))
        return path

    return write


def wait_for(what: str, fn: Callable[[], Any], timeout: float = 60, interval: float = 0.2) -> Any:
    """Poll ``fn`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


def active_pods(cluster: TestCluster, ns: str, selector: str = "app=web") -> dict[str, str]:
    """name → uid of the pods matching ``selector`` that are not terminating."""
    items = cluster.kubectl_json("get", "pods", "-n", ns, "-l", selector)["items"]
    return {
        p["metadata"]["name"]: p["metadata"]["uid"]
        for p in items
        if not p["metadata"].get("deletionTimestamp")
    }


def _ready_count(cluster: TestCluster, ns: str, selector: str) -> int:
    items = cluster.kubectl_json("get", "pods", "-n", ns, "-l", selector)["items"]
    return sum(
        1
        for p in items
        if not p["metadata"].get("deletionTimestamp")
        and any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in p["status"].get("conditions", [])
        )
    )


def wait_ready(
    cluster: TestCluster,
    ns: str,
    name: str = "web",
    replicas: int = 3,
    selector: str = "app=web",
    timeout: float = 60,
) -> None:
    """Until the Deployment reports ``replicas`` ready and that many pods are Ready."""

    def ready() -> bool:
        dep = cluster.kubectl_json("get", "deployment", "-n", ns, name)
        return (
            dep.get("status", {}).get("readyReplicas") == replicas
            and _ready_count(cluster, ns, selector) == replicas
        )

    wait_for(f"deployment {ns}/{name} with {replicas} ready replicas", ready, timeout)


def deployment(
    cluster: TestCluster,
    ns: str,
    name: str = "web",
    replicas: int = 3,
    labels: dict[str, str] | None = None,
    wait: bool = True,
) -> None:
    """Create a Deployment whose pods kwok makes Running/Ready (the image is never pulled)."""
    labels = labels or {"app": "web"}
    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{"name": "app", "image": "registry.invalid/chaosguard/web:1"}]
                },
            },
        },
    }
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(doc))
    if wait:
        selector = ",".join(f"{k}={v}" for k, v in labels.items())
        wait_ready(cluster, ns, name, replicas, selector)


def chaos_cmd(*args: str) -> list[str]:
    """``chaos --no-version-check --no-log-file <args>`` from this virtualenv."""
    return [
        str(Path(sys.executable).parent / "chaos"),
        "--no-version-check",
        "--no-log-file",
        *args,
    ]


def guarded_example(path: Path, tmp: Path) -> Path:
    """A copy of an example with its Prometheus guards swapped for a python guard reading a constant
    (``tests.guard_values:read_value``, the file ``<tmp>/slo-value`` holding 1.0): no Prometheus
    here."""
    doc = yaml.safe_load(path.read_text())
    block = next(e for e in doc["extensions"] if e["name"] == "chaosguard")
    block["guards"] = [
        {
            "name": "availability-99.9",
            "source": "python",
            "func": "tests.guard_values:read_value",
            "min": 0.999,
        }
    ]
    (tmp / "slo-value").write_text("1.0")
    out = tmp / path.name
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def run_env(
    chaos_env: dict[str, str], cluster: TestCluster, ns: str, tmp: Path, **extra: str
) -> dict[str, str]:
    """Environment of a `chaos run` of an example against the test cluster, in namespace ``ns``."""
    env = {
        **chaos_env,
        "KUBECONFIG": str(cluster.kubeconfig),
        "CHAOS_NAMESPACE": ns,
        "CG_TEST_VALUE_FILE": str(tmp / "slo-value"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    for name in ("KUBERNETES_CONTEXT", "KUBERNETES_VERIFY_SSL"):
        env.pop(name, None)
    # the operator's policy: the examples' guards are swapped for a test helper (guarded_example)
    operator = tmp / "operator-policy.yaml"
    operator.write_text(yaml.safe_dump(allowing_test_helpers()))
    env["CHAOSGUARD_POLICY"] = str(operator)
    return env
