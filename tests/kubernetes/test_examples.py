"""The example experiments of experiments/kubernetes/: they pass `chaos guard check`, and
`chaos run` of each, pointed at a test namespace, does what it says against the test control plane.

Their Prometheus guards are swapped for a python guard reading a constant (no Prometheus here). For
the Chaos Mesh examples, no Chaos Mesh daemon runs: the run creates and, in its rollback, deletes
the NetworkChaos / StressChaos object; no latency or stress is actually applied.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from chaosguard.journal.redact import REDACTED
from tests.k8s_cluster import TestCluster
from tests.kubernetes.fixtures import (  # noqa: F401 - fixtures
    EXAMPLES,
    MANAGED,
    active_pods,
    chaos_cmd,
    deployment,
    guarded_example,
    kube,
    node_heartbeat,
    run_env,
)

pytestmark = pytest.mark.kubernetes

SLO_DEFAULTS = {
    "availability-99.9": ("min", 0.999),
    "p95-under-500ms": ("max", 500),
    "errors-under-1pct": ("max", 0.01),
}


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_each_example_passes_guard_check_with_the_platform_slo_guards(
    name: str, chaos_env: dict[str, str]
) -> None:
    path = EXAMPLES / name
    out = subprocess.run(
        chaos_cmd("guard", "check", str(path)),
        env=chaos_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    block = next(
        e for e in yaml.safe_load(path.read_text())["extensions"] if e["name"] == "chaosguard"
    )
    assert {
        g["name"]: ("min" if "min" in g else "max", g.get("min", g.get("max")))
        for g in block["guards"]
    } == SLO_DEFAULTS


def _run(kube: TestCluster, ns: str, tmp: Path, env_base: dict[str, str], example: str) -> dict:
    exp = guarded_example(EXAMPLES / example, tmp)
    env = run_env(env_base, kube, ns, tmp, CHAOS_HOLD_S="0")
    journal = tmp / "journal.json"
    out = subprocess.run(
        chaos_cmd("run", "--journal-path", str(journal), str(exp)),
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    doc = json.loads(journal.read_text())
    assert (doc["status"], doc["deviated"]) == ("completed", False), out.stderr[-3000:]
    return doc


def test_pod_kill_example_kills_a_third_and_measures_the_recovery(
    kube: TestCluster, k8s_namespace: str, tmp_path: Path, chaos_env: dict[str, str]
) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=3)
    before = active_pods(kube, ns)
    doc = _run(kube, ns, tmp_path, chaos_env, "pod-kill-recovery.yaml")
    kill, recovery = doc["run"][0], doc["run"][1]
    assert kill["status"] == "succeeded" and recovery["status"] == "succeeded"
    (killed,) = kill["output"]["pods"]  # 34 % of 3, rounded down, within the policy's 34 %
    assert before[killed["name"]] == killed["uid"]
    assert 0 < recovery["output"] < 60
    after = active_pods(kube, ns)
    assert len(after) == 3 and killed["uid"] not in after.values()
    assert all(p["tolerance_met"] for p in doc["steady_states"]["after"]["probes"])


@pytest.mark.parametrize(
    ("example", "plural", "func"),
    [
        ("network-latency.yaml", "networkchaos", "add_network_latency"),
        ("cpu-stress.yaml", "stresschaos", "stress_pods"),
    ],
)
def test_chaos_mesh_examples_create_the_object_and_their_rollback_removes_it(
    kube: TestCluster,
    k8s_namespace: str,
    tmp_path: Path,
    chaos_env: dict[str, str],
    example: str,
    plural: str,
    func: str,
) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=2)
    doc = _run(kube, ns, tmp_path, chaos_env, example)
    action = doc["run"][0]
    assert action["activity"]["provider"]["func"] == func and action["status"] == "succeeded"
    # the namespace comes from the environment: env-sourced values are redacted in the journal
    assert action["output"]["uid"] and action["output"]["namespace"] == REDACTED
    (rollback,) = doc["rollbacks"]
    assert rollback["output"] == [
        {
            "record": action["output"]["record"],
            "kind": action["output"]["kind"],
            "name": action["output"]["name"],
            "outcome": "reverted",
        }
    ]
    assert kube.kubectl_json("get", plural, "-n", ns, "-l", MANAGED)["items"] == []
