"""Chaos Mesh NetworkChaos / StressChaos via chaosguard: create, schema rejection, revert, cleanup.

NO Chaos Mesh controller or daemon runs here: the test API server has the Chaos Mesh CRDs, so
objects are stored and validated against the CRD schema, but no latency or stress is ever applied.
What these tests show is chaosguard's side: the object exists exactly while the fault should,
carries our labels, is recorded in the ledger before it is created, and is gone after a revert, a
rollback, or ``chaos cleanup`` following a SIGKILLed runner.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaosguard import faults
from chaosguard.actions.chaosmesh import add_network_latency, remove_chaos_mesh_faults, stress_pods
from chaosguard.errors import InvalidArgument, Refused
from chaosguard.faults.chaosmesh.sweep import sweep_leftovers
from chaosguard.kube.config import Cluster
from tests.helpers import ledger_records
from tests.k8s_cluster import TestCluster
from tests.kubernetes.fixtures import (  # noqa: F401 - fixtures
    EXAMPLES,
    MANAGED,
    chaos_cmd,
    deployment,
    guarded_example,
    kube,
    node_heartbeat,
    policy,
    run_env,
    wait_for,
)

pytestmark = pytest.mark.kubernetes


def _objects(
    kube: TestCluster, ns: str, plural: str = "networkchaos,stresschaos"
) -> list[dict[str, Any]]:
    return kube.kubectl_json("get", plural, "-n", ns, "-l", MANAGED)["items"]


@pytest.fixture()
def web(kube: TestCluster, k8s_namespace: str) -> str:
    deployment(kube, k8s_namespace, replicas=3)
    return k8s_namespace


def test_network_latency_and_stress_round_trip(
    kube: TestCluster, web: str, chaosguard_home: Path
) -> None:
    ns = web
    net = add_network_latency(
        ns,
        "app=web",
        latency_ms=150,
        jitter_ms=15,
        correlation_pct=25,
        mode="fixed",
        mode_value="2",
        duration_s=120,
    )
    cpu = stress_pods(
        ns,
        "app=web",
        cpu_workers=2,
        cpu_load_pct=60,
        memory_workers=1,
        memory_size="64MB",
        mode="one",
    )
    assert net["matching_pods"] == 3 and net["max_pods_hit"] == 2 and cpu["max_pods_hit"] == 1

    stored = kube.kubectl_json("get", "networkchaos", "-n", ns, net["name"])
    assert stored["metadata"]["uid"] == net["uid"]
    assert stored["metadata"]["labels"]["chaosguard.io/record"] == net["record"]
    assert stored["metadata"]["labels"]["chaosguard.io/run-id"] == net["record"].rsplit(".", 1)[0]
    assert stored["metadata"]["annotations"]["chaosguard.io/runner"].startswith(
        socket.gethostname()
    )
    assert stored["spec"]["selector"] == {"namespaces": [ns], "labelSelectors": {"app": "web"}}
    assert stored["spec"]["delay"] == {"latency": "150ms", "jitter": "15ms", "correlation": "25"}
    spec = stored["spec"]
    assert (spec["mode"], spec["value"], spec["duration"]) == ("fixed", "2", "120s")
    stress = kube.kubectl_json("get", "stresschaos", "-n", ns, cpu["name"])["spec"]
    assert stress["stressors"]["cpu"] == {"workers": 2, "load": 60}
    assert stress["stressors"]["memory"]["size"] == "64MB"  # (+ oomScoreAdj: 0, a CRD default)

    # the record was written (open) before the object existed, and learned its uid after
    records = {r["id"]: r for r in ledger_records(chaosguard_home)}
    assert records[net["record"]]["kind"] == "chaosmesh-network"
    assert records[net["record"]]["spec"]["kubeconfig"] == str(kube.kubeconfig)
    assert {r.handles.get("uid") for r in faults.open_records()} == {net["uid"], cpu["uid"]}

    removed = remove_chaos_mesh_faults()
    assert sorted(r["outcome"] for r in removed) == ["reverted", "reverted"]
    assert _objects(kube, ns) == []
    assert remove_chaos_mesh_faults() == []  # idempotent rollback


def test_the_cluster_schema_rejects_bad_values_in_one_line_naming_the_argument(
    kube: TestCluster, web: str, chaosguard_home: Path
) -> None:
    ns = web
    cases = [
        (
            lambda: add_network_latency(ns, "app=web", 100, direction="sideways"),
            "direction",
            'spec.direction: Unsupported value: "sideways"',
        ),
        (
            lambda: add_network_latency(ns, "app=web", -5),
            "latency_ms",
            "spec.delay.latency in body should match",
        ),
        (
            lambda: add_network_latency(ns, "app=web", 100, extra={"delay": {"correlation": 25}}),
            "extra",
            "spec.delay.correlation in body must be of type string",
        ),
        (
            lambda: stress_pods(ns, "app=web", cpu_workers=1, cpu_load_pct=150),
            "cpu_load_pct",
            "spec.stressors.cpu.load in body should be less than or equal to 100",
        ),
        (
            lambda: stress_pods(ns, "app=web", memory_workers=9000),
            "memory_workers",
            "less than or equal to 8192",
        ),
    ]
    for call, field, words in cases:
        with pytest.raises(InvalidArgument) as err:
            call()
        message = str(err.value)
        assert "\n" not in message and err.value.field == field, message
        assert "schema of the cluster" in message and words in message, message
    # checked by chaosguard before the cluster is asked (the mode decides the blast radius)
    local = [
        (lambda: add_network_latency(ns, "app=web", 100, mode="bogus"), "mode"),
        (
            lambda: add_network_latency(ns, "app=web", 100, mode="fixed", mode_value="x"),
            "mode_value",
        ),
        (
            lambda: add_network_latency(ns, "app=web", 100, mode="fixed-percent", mode_value="150"),
            "mode_value",
        ),
        (lambda: add_network_latency(ns, "", 100), "label_selector"),
        (lambda: add_network_latency(ns, "app=web", 100, extra={"selector": {}}), "extra"),
        (lambda: add_network_latency(ns, "app=none", 100), "label_selector"),
        (lambda: add_network_latency("no-such-namespace", "app=web", 100), "namespace"),
        (lambda: stress_pods(ns, "app=web"), "cpu_workers"),
        (lambda: stress_pods(ns, "app=web", cpu_workers=1, duration_s=-1), "duration_s"),
    ]
    for call, field in local:
        with pytest.raises(InvalidArgument) as err:
            call()
        assert err.value.field == field and "\n" not in str(err.value), str(err.value)
    assert _objects(kube, ns) == []
    assert [r for r in ledger_records(chaosguard_home) if r["kind"].startswith("chaosmesh")] == []


def test_the_policy_bounds_chaos_mesh_faults(kube: TestCluster, web: str, policy) -> None:
    ns = web
    policy(max_targets={"percent": 50})
    with pytest.raises(
        Refused, match=r"3 of 3 matching targets .* exceed policy max_targets\.percent=50"
    ):
        add_network_latency(ns, "app=web", 100)  # mode all
    # Chaos Mesh rounds percent modes up: 50 % of 3 pods hits 2 (66.7 %), over the limit.
    with pytest.raises(Refused, match=r"max_targets\.percent=50"):
        add_network_latency(ns, "app=web", 100, mode="fixed-percent", mode_value="50")
    assert (
        add_network_latency(ns, "app=web", 100, mode="fixed-percent", mode_value="33")[
            "max_pods_hit"
        ]
        == 1
    )
    policy(namespaces={"deny": [ns]})
    with pytest.raises(Refused, match=r"denied by policy namespaces\.deny"):
        stress_pods(ns, "app=web", cpu_workers=1)
    remove_chaos_mesh_faults()
    assert _objects(kube, ns) == []


def _labelled(kube: TestCluster, ns: str, name: str, runner: str | None, run_id: str) -> None:
    annotations = {"chaosguard.io/record": f"{run_id}.0000abcd"}
    if runner is not None:
        annotations["chaosguard.io/runner"] = runner
    doc = {
        "apiVersion": "chaos-mesh.org/v1alpha1",
        "kind": "StressChaos",
        "metadata": {
            "name": name,
            "labels": {
                "app.kubernetes.io/managed-by": "chaosguard",
                "chaosguard.io/run-id": run_id,
            },
            "annotations": annotations,
        },
        "spec": {
            "mode": "one",
            "selector": {"namespaces": [ns], "labelSelectors": {"app": "web"}},
            "stressors": {"cpu": {"workers": 1}},
        },
    }
    kube.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(doc))


def test_sweep_removes_labelled_objects_of_dead_or_unknown_runs_only(
    kube: TestCluster, web: str, chaosguard_home: Path
) -> None:
    ns = web
    host = socket.gethostname()
    dead = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, psutil; print(os.getpid(), psutil.Process().create_time())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    pid, start = dead.stdout.split()
    _labelled(kube, ns, "dead-runner", f"{host}/{pid}/{start}", "20260101T000000-deaddead")
    _labelled(kube, ns, "no-runner", None, "20260101T000000-unknown0")
    _labelled(
        kube, ns, "other-host", f"elsewhere.example/{os.getpid()}/1.0", "20260101T000000-foreign0"
    )
    mine = add_network_latency(ns, "app=web", 50)  # this process is alive: kept
    cluster = Cluster(str(kube.kubeconfig), "chaosguard-test")

    listed = sweep_leftovers(chaosguard_home, dry_run=True, clusters=[cluster], namespaces=[ns])
    assert sorted(i.outcome.split(" (")[0] for i in listed) == ["would-delete", "would-delete"]
    assert len(_objects(kube, ns)) == 4

    swept = sweep_leftovers(chaosguard_home, clusters=[cluster], namespaces=[ns])
    assert sorted(i.outcome for i in swept) == [
        "deleted by label (runner dead (not in the ledger))",
        "deleted by label (unknown run)",
    ]
    assert sorted(o["metadata"]["name"] for o in _objects(kube, ns)) == sorted(
        [mine["name"], "other-host"]
    )
    swept = sweep_leftovers(chaosguard_home, clusters=[cluster], namespaces=[ns], all_hosts=True)
    assert [i.outcome for i in swept] == ["deleted by label (runner on host elsewhere.example)"]
    assert [o["metadata"]["name"] for o in _objects(kube, ns)] == [mine["name"]]


# -- a SIGKILLed `chaos run`
# ------------------------------------------------------------------------
def _run_and_kill(
    kube: TestCluster, ns: str, tmp: Path, env: dict[str, str]
) -> subprocess.Popen[str]:
    exp = guarded_example(EXAMPLES / "network-latency.yaml", tmp)
    # Chaos Mesh rounds percents up: 50 % of the 3 web pods would hit 2, over the example's own
    # max_targets.percent=50; one pod of three stays within it.
    doc = yaml.safe_load(exp.read_text())
    doc["method"][0]["provider"]["arguments"]["mode_value"] = "33"
    exp.write_text(yaml.safe_dump(doc, sort_keys=False))
    chaos = subprocess.Popen(
        chaos_cmd("run", "--journal-path", str(tmp / "journal.json"), str(exp)),
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            "the NetworkChaos of the run",
            lambda: _objects(kube, ns, "networkchaos") or chaos.poll() is not None,
            timeout=60,
        )
        assert chaos.poll() is None, chaos.stderr.read()[-3000:] if chaos.stderr else ""
    finally:
        chaos.send_signal(signal.SIGKILL)
        chaos.wait()
    return chaos


def test_chaos_cleanup_removes_the_network_chaos_of_a_sigkilled_run(
    kube: TestCluster, web: str, tmp_path: Path, chaos_env: dict[str, str]
) -> None:
    ns = web
    env = run_env(chaos_env, kube, ns, tmp_path, CHAOS_HOLD_S="120")
    _run_and_kill(kube, ns, tmp_path, env)
    (left,) = _objects(kube, ns)  # the runner died holding the fault: nothing reverted it
    out = subprocess.run(
        chaos_cmd("cleanup"), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "chaosmesh-network" in out.stdout and "reverted" in out.stdout
    assert _objects(kube, ns) == []
    again = subprocess.run(
        chaos_cmd("cleanup"), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert "Nothing open" in again.stdout
    assert left["metadata"]["labels"]["chaosguard.io/run-id"] in " ".join(
        p.stem for p in (Path(env["CHAOSGUARD_HOME"]) / "ledger" / "archive").glob("*.jsonl")
    )


def test_the_label_sweep_finds_leftovers_even_when_the_ledger_is_lost(
    kube: TestCluster, web: str, tmp_path: Path, chaos_env: dict[str, str]
) -> None:
    ns = web
    env = run_env(chaos_env, kube, ns, tmp_path, CHAOS_HOLD_S="120")
    _run_and_kill(kube, ns, tmp_path, env)
    assert len(_objects(kube, ns)) == 1
    shutil.rmtree(
        Path(env["CHAOSGUARD_HOME"]) / "ledger"
    )  # state lost (wiped disk, other machine…)
    cluster = Cluster(str(kube.kubeconfig), "chaosguard-test")
    swept = sweep_leftovers(Path(env["CHAOSGUARD_HOME"]), clusters=[cluster], namespaces=[ns])
    assert [i.outcome for i in swept] == ["deleted by label (runner dead (not in the ledger))"]
    assert _objects(kube, ns) == []
