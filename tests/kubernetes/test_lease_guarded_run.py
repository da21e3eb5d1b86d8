"""The scope Lease through a guarded ``chaos run`` (the pod-kill example) on the test API server:
refused while another runner holds the namespace, naming it; run, and the Lease released, once it
is free."""

from __future__ import annotations

import json
import subprocess
import threading
import time
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


def test_a_run_whose_lease_is_taken_aborts_and_reverts_its_faults(
    kube: TestCluster,
    k8s_namespace: str,
    tmp_path: Path,
    chaos_env: dict[str, str],
    chaosguard_home: Path,
) -> None:
    """Another runner takes the namespace's Lease mid-run: the run is no longer alone there, so
    it aborts like a breached SLO, its fault (a local CPU stress) reverted, not only refused."""
    from tests.e2e.guarded import action, chaos_run, experiment, guard_control, value_env
    from tests.helpers import allowing_test_helpers, ledger_records

    ns = k8s_namespace
    doc = experiment(
        [
            action("stress", "chaosguard.actions.stress", "stress_cpu", workers=1, load_percent=5),
            action("hold", "tests.guard_values", "wait", seconds=60),
        ],
        controls=[guard_control(scope=f"k8s:{ns}")],
    )
    env = {
        **value_env(tmp_path, chaos_env),
        "KUBECONFIG": str(kube.kubeconfig),
        "CHAOSGUARD_LEASE_SECONDS": "5",
    }
    patch = json.dumps({"spec": {"holderIdentity": "intruder@elsewhere"}})

    def rob() -> None:  # once the run holds the Lease and its stress runs
        for _ in range(300):
            if LEASE_NAME in _lease_names(kube, ns) and ledger_records(chaosguard_home):
                break
            time.sleep(0.1)
        kube.kubectl("patch", "lease", LEASE_NAME, "-n", ns, "--type=merge", "-p", patch)

    robber = threading.Thread(target=rob, daemon=True)
    robber.start()
    res = chaos_run(tmp_path, doc, env, policy=allowing_test_helpers())
    robber.join(timeout=5)
    guard = res.guard
    assert guard.get("outcome") == "aborted", res.stderr[-3000:]
    assert guard["breach"]["guard"] == "scope-lock"
    assert "may no longer be exclusive" in guard["breach"]["reason"]
    assert [r["kind"] for r in guard["breach"]["reverted"]] == ["cpu-stress"]
    assert all(r["closed_at"] for r in guard["ledger"])
    hold = next(r for r in res.journal["run"] if r["activity"]["name"] == "hold")
    assert hold["duration"] < 30  # the 60 s hold was cut short
