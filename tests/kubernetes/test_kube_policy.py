"""The ConfigMap kill switch against the real API server: read directly, and refusing a guarded
run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from chaosguard.policy import Policy, kill_switch_state
from chaosguard.policy.killswitch import read_configmap_switch as read_configmap
from chaosguard.policy.killswitch import reader_for
from chaosguard.policy.model import ConfigMapRef
from tests.helpers import allowing_test_helpers
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


def _switch(kube: TestCluster, ns: str, value: str | None) -> None:
    if value is None:
        kube.kubectl("delete", "configmap", "-n", ns, "chaos-stop", "--ignore-not-found")
        return
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "chaos-stop"},
        "data": {"enabled": value},
    }
    kube.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(doc))


def test_the_configmap_kill_switch(
    kube: TestCluster, k8s_namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ns = k8s_namespace
    assert reader_for("configmap") is read_configmap
    ref = ConfigMapRef(namespace=ns, name="chaos-stop", key="enabled")
    policy = Policy(
        kill_switch={"configmap": [{"namespace": ns, "name": "chaos-stop", "key": "enabled"}]}
    )

    assert read_configmap(ref, 1.0) == (False, f"configmap {ns}/chaos-stop does not exist")
    _switch(kube, ns, "on")
    on, reason = read_configmap(ref, 1.0)
    assert on and "says 'on'" in reason
    state = kill_switch_state(policy)
    assert state.on and state.source == f"configmap {ns}/chaos-stop:enabled"
    _switch(kube, ns, "off")
    assert not kill_switch_state(policy).on
    _switch(kube, ns, "maybe")  # not an off word: on, like a file source with unknown content
    assert read_configmap(ref, 1.0)[0]
    assert (
        read_configmap(ConfigMapRef(namespace=ns, name="chaos-stop", key="other"), 1.0)[0] is False
    )
    # unreadable: fail closed
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    on, reason = read_configmap(ref, 1.0)
    assert on and "fail closed" in reason and "does not exist" in reason


def test_a_guarded_run_is_refused_while_the_configmap_switch_is_on(
    kube: TestCluster, k8s_namespace: str, tmp_path: Path, chaos_env: dict[str, str]
) -> None:
    """End to end: the guard's preflight reads the ConfigMap switch and refuses; nothing is
    killed."""
    ns = k8s_namespace
    deployment(kube, ns, replicas=3)
    before = active_pods(kube, ns)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        yaml.safe_dump(
            allowing_test_helpers(
                {
                    "kill_switch": {
                        "configmap": [{"namespace": ns, "name": "chaos-stop", "key": "enabled"}]
                    }
                }
            )
        )
    )
    exp = guarded_example(EXAMPLES / "pod-kill-recovery.yaml", tmp_path)
    env = {**run_env(chaos_env, kube, ns, tmp_path), "CHAOSGUARD_POLICY": str(policy)}

    def run() -> dict:
        journal = tmp_path / "journal.json"
        subprocess.run(
            chaos_cmd("run", "--journal-path", str(journal), str(exp)),
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return json.loads(journal.read_text())

    _switch(kube, ns, "on")
    refused = run()
    evidence = refused["chaosguard"]
    assert refused["status"] == "failed" and refused["run"] == []
    assert evidence["outcome"] == "refused"
    # the namespace comes from the environment: env-sourced values are redacted in the journal
    assert evidence["reason"].startswith("kill switch: ON (configmap ***/chaos-stop:enabled)")
    assert active_pods(kube, ns) == before  # nothing was killed
    _switch(kube, ns, "off")
    ran = run()
    assert ran["status"] == "completed" and len(ran["run"][0]["output"]["pods"]) == 1
