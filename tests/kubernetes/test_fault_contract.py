"""The fault contract over the Kubernetes kinds, against the session's real API server.

Same driver as the local kinds (``tests/integration/faults/test_contract.py``, which also checks
that the cases of both modules cover exactly the registered kinds). The effects are read back from
the API server with kubectl: a killed pod is gone (kwok lets deleted pods go, the Deployment
replaces them under new names and uids); a Chaos Mesh object exists while the fault does. No Chaos
Mesh controller runs here, so its objects are stored and schema-validated but never applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from chaosguard.faults.chaosmesh.spec import ChaosMeshSpec
from chaosguard.faults.podkill.spec import PodKillSpec, PodTarget
from chaosguard.kube.config import Cluster
from chaosguard.ledger.store import FaultRecord
from tests.integration.faults.test_contract_support import Case, run_contract
from tests.k8s_cluster import TestCluster
from tests.kubernetes.fixtures import (  # noqa: F401 - fixtures
    MANAGED,
    active_pods,
    deployment,
    kube,
    node_heartbeat,
)

pytestmark = pytest.mark.kubernetes


@dataclass
class KubeWorld:
    """A namespace with a three-replica Deployment ``web`` on the test cluster."""

    kube: TestCluster
    namespace: str

    @property
    def cluster(self) -> dict[str, Any]:
        return Cluster(str(self.kube.kubeconfig), "chaosguard-test").as_spec()

    def objects(self, plural: str) -> list[dict[str, Any]]:
        return self.kube.kubectl_json("get", plural, "-n", self.namespace, "-l", MANAGED)["items"]


def _pod_kill_spec(world: KubeWorld) -> PodKillSpec:
    name, uid = sorted(active_pods(world.kube, world.namespace).items())[0]
    return PodKillSpec(
        **world.cluster,
        namespace=world.namespace,
        grace_period_s=0,
        targets=(PodTarget(name=name, uid=uid),),
    )


def _pod_gone(world: KubeWorld, record: FaultRecord) -> bool:
    """Every target pod (by uid) is gone or terminating."""
    live = active_pods(world.kube, world.namespace)
    return all(live.get(t["name"]) != t["uid"] for t in record.spec["targets"])


def _chaos_spec(world: KubeWorld, body: dict[str, Any]) -> ChaosMeshSpec:
    selector = {"namespaces": [world.namespace], "labelSelectors": {"app": "web"}}
    return ChaosMeshSpec(
        **world.cluster,
        namespace=world.namespace,
        spec={"mode": "all", "selector": selector, **body},
    )


def _object_there(plural: str) -> Any:
    def there(world: KubeWorld, record: FaultRecord) -> bool:
        uids = [o["metadata"]["uid"] for o in world.objects(plural)]
        return uids == [record.handles["uid"]]

    return there


KUBERNETES_CASES = [
    Case(
        "pod-kill",
        "pod-kill",
        _pod_kill_spec,
        _pod_gone,
        revertible=False,
        again="not-revertible",
        timeout=30,
    ),
    Case(
        "chaosmesh-network",
        "chaosmesh-network",
        lambda w: _chaos_spec(w, {"action": "delay", "delay": {"latency": "10ms"}}),
        _object_there("networkchaos"),
        timeout=30,
    ),
    Case(
        "chaosmesh-stress",
        "chaosmesh-stress",
        lambda w: _chaos_spec(w, {"stressors": {"cpu": {"workers": 1, "load": 10}}}),
        _object_there("stresschaos"),
        timeout=30,
    ),
]


@pytest.fixture()
def kube_world(kube: TestCluster, k8s_namespace: str) -> KubeWorld:
    deployment(kube, k8s_namespace, replicas=3)
    return KubeWorld(kube, k8s_namespace)


@pytest.mark.contract
@pytest.mark.parametrize("case", KUBERNETES_CASES, ids=lambda c: c.id)
def test_the_fault_contract(case: Case, kube_world: KubeWorld) -> None:
    run_contract(case, kube_world)
