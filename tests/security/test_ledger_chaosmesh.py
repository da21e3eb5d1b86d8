"""Issue 9, item 6: a Chaos Mesh record cannot turn ``chaos cleanup`` into a DELETE of another
object.

A dead run's ledger names a "Chaos Mesh object" whose name walks out of the chaos-mesh API path to a
Secret. The real test API server shows that the Secret survives the cleanup.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from chaosguard.faults.cleanup import cleanup_dead_runs
from tests.helpers import python_child
from tests.k8s_cluster import TestCluster
from tests.kubernetes.fixtures import kube, node_heartbeat  # noqa: F401 - fixtures

pytestmark = [pytest.mark.security, pytest.mark.kubernetes]


def _dead_run(home: Path, run_id: str, record: dict[str, Any]) -> Path:
    proc = subprocess.Popen(["sleep", "30"])
    start = psutil.Process(proc.pid).create_time()
    proc.kill()
    proc.wait()
    head = {"op": "run", "pid": proc.pid, "start_time": start, "host": socket.gethostname()}
    (home / "ledger").mkdir(mode=0o700, exist_ok=True)
    path = home / "ledger" / f"{run_id}.jsonl"
    path.write_text(json.dumps(head) + "\n" + json.dumps({"op": "open", "record": record}) + "\n")
    return path


def _record(kube: TestCluster, run_id: str, namespace: str, **handles: Any) -> dict[str, Any]:
    return {
        "id": f"{run_id}.0badc0de",
        "run_id": run_id,
        "kind": "chaosmesh-network",
        "spec": {
            "kubeconfig": str(kube.kubeconfig),
            "context": "chaosguard-test",
            "namespace": namespace,
            "spec": {"action": "delay"},
        },
        "handles": handles,
        "revertible": True,
        "created_at": time.time(),
    }


@pytest.mark.parametrize("with_uid", [True, False])
def test_a_traversing_name_never_deletes_a_secret(
    kube: TestCluster, k8s_namespace: str, chaosguard_home: Path, with_uid: bool
) -> None:
    kube.kubectl("create", "secret", "generic", "x", "-n", k8s_namespace, "--from-literal=k=v")
    uid = kube.kubectl_json("get", "secret", "x", "-n", k8s_namespace)["metadata"]["uid"]
    # /apis/chaos-mesh.org/v1alpha1/namespaces/<ns>/networkchaos/<name>: six levels up is /
    evil = "../" * 6 + f"api/v1/namespaces/{k8s_namespace}/secrets/x"
    run_id = "20260101T000000-0000ffff"
    handles = {"name": evil, "uid": uid} if with_uid else {"name": evil}
    record = _record(kube, run_id, k8s_namespace, **handles)
    _dead_run(chaosguard_home, run_id, record)
    dry = cleanup_dead_runs(chaosguard_home, dry_run=True)
    assert [i.outcome.split(":")[0] for i in dry] == ["refused", "would-quarantine"], dry
    items = cleanup_dead_runs(chaosguard_home)
    assert [i.outcome.split(":")[0] for i in items] == ["refused", "quarantined"], items
    assert "handles.name" in items[0].outcome
    assert kube.kubectl_json("get", "secret", "x", "-n", k8s_namespace)["metadata"]["uid"] == uid
    assert (chaosguard_home / "ledger" / "quarantine" / f"{run_id}.jsonl").exists()


def test_a_delete_without_a_recorded_uid_carries_the_objects_own_uid(
    kube: TestCluster, k8s_namespace: str, chaosguard_home: Path
) -> None:
    """A crash between create and the handles update: the name is derived from the record id, and
    an object of that name that does not carry this record's annotation is never deleted."""
    from chaosguard.faults.chaosmesh.kind import NETWORK_KIND, object_name

    run_id = "20260101T000000-0000abcd"
    record = _record(kube, run_id, k8s_namespace)
    name = object_name(record["id"])
    foreign = {
        "apiVersion": "chaos-mesh.org/v1alpha1",
        "kind": "NetworkChaos",
        "metadata": {"name": name, "namespace": k8s_namespace},
        "spec": {
            "action": "delay",
            "mode": "all",
            "selector": {"namespaces": [k8s_namespace]},
            "delay": {"latency": "10ms"},
        },
    }
    kube.kubectl("apply", "-f", "-", input=json.dumps(foreign))
    _dead_run(chaosguard_home, run_id, record)
    items = cleanup_dead_runs(chaosguard_home)
    assert [i.outcome for i in items] == ["vanished"], items  # ours was never created
    assert kube.kubectl_json("get", NETWORK_KIND.plural, name, "-n", k8s_namespace)


INJECT_AND_WAIT = """
import json, sys, time
from chaosguard import faults
from chaosguard.faults.chaosmesh.spec import ChaosMeshSpec
spec = ChaosMeshSpec.model_validate(json.loads(sys.stdin.readline()))
print(faults.inject("chaosmesh-network", spec).id, flush=True)
time.sleep(60)
"""


def test_a_real_leftover_is_still_deleted_with_its_uid(
    kube: TestCluster, k8s_namespace: str, chaosguard_home: Path
) -> None:
    """What re-validates is reverted as before: a SIGKILLed runner's NetworkChaos is deleted."""
    spec = {
        "kubeconfig": str(kube.kubeconfig),
        "context": "chaosguard-test",
        "namespace": k8s_namespace,
        "spec": {
            "action": "delay",
            "mode": "all",
            "selector": {"namespaces": [k8s_namespace]},
            "delay": {"latency": "10ms"},
        },
    }
    proc = python_child(
        INJECT_AND_WAIT, env={"CHAOSGUARD_HOME": str(chaosguard_home)}, stdin=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(spec) + "\n")
    proc.stdin.flush()
    record_id = proc.stdout.readline().strip()
    assert record_id, proc.stderr.read() if proc.stderr else ""
    proc.kill()
    proc.wait()
    listed = kube.kubectl_json("get", "networkchaos", "-n", k8s_namespace)["items"]
    assert len(listed) == 1
    uid = listed[0]["metadata"]["uid"]
    dry = cleanup_dead_runs(chaosguard_home, dry_run=True)
    assert [i.outcome for i in dry] == ["would-revert"]
    assert dry[0].target.endswith(f"uid {uid}") and k8s_namespace in dry[0].target
    items = cleanup_dead_runs(chaosguard_home)
    assert [i.outcome for i in items] == ["reverted"], items
    assert kube.kubectl_json("get", "networkchaos", "-n", k8s_namespace)["items"] == []
