"""The scope Lease through a guarded ``chaos run`` (the pod-kill example) on the test API server:
refused while another runner holds the namespace, naming it; run, and the Lease released, once it
is free."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from chaosguard.kube.lease import LEASE_NAME
from tests.helpers import python_child
from tests.k8s_cluster import TestCluster
from tests.kubernetes.fixtures import (  # noqa: F401 - fixtures
    EXAMPLES,
    active_pods,
    chaos_cmd,
    deployment,
    guarded_example,
    kube,
    node_heartbeat,
    run_env,
)

pytestmark = pytest.mark.kubernetes

HOLDER = """
import sys
from chaosguard.guard.lock import acquire_run_lock
lock = acquire_run_lock("k8s:{ns}", "run-laptop")
print("held", flush=True)
sys.stdin.readline()
lock.release()
"""


def _run(env: dict[str, str], exp: Path, tmp: Path, name: str) -> tuple[dict, str]:
    journal = tmp / f"{name}.json"
    out = subprocess.run(
        chaos_cmd("run", "--journal-path", str(journal), str(exp)),
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(journal.read_text()), out.stderr


def _lease_names(kube: TestCluster, ns: str) -> list[str]:
    items = kube.kubectl_json("get", "leases", "-n", ns, "-o", "json")["items"]
    return [x["metadata"]["name"] for x in items]


def test_a_guarded_run_takes_the_namespace_lease(
    kube: TestCluster, k8s_namespace: str, tmp_path: Path, chaos_env: dict[str, str]
) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=3)
    exp = guarded_example(EXAMPLES / "pod-kill-recovery.yaml", tmp_path)
    env = run_env(chaos_env, kube, ns, tmp_path, CHAOS_HOLD_S="0")
    holder = python_child(
        HOLDER.replace("{ns}", ns),
        env={"KUBECONFIG": str(kube.kubeconfig)},
        stdin=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        before = active_pods(kube, ns)
        doc, err = _run(env, exp, tmp_path, "refused")
        guard = doc["chaosguard"]
        assert guard["outcome"] == "refused", err[-3000:]
        # (the journal redacts the namespace: it comes from the environment)
        assert "is held by guarded run run-laptop on host" in guard["reason"]
        assert active_pods(kube, ns) == before  # nothing was killed
    finally:
        holder.stdin.write("done\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    assert _lease_names(kube, ns) == []

    doc, err = _run(env, exp, tmp_path, "ran")
    assert doc["chaosguard"]["outcome"] == "met", err[-3000:]
    assert doc["chaosguard"]["lock"]["scope"].startswith("k8s:")
    assert len(doc["run"][0]["output"]["pods"]) == 1
    assert LEASE_NAME not in _lease_names(kube, ns)  # released at the end
