"""The ConfigMap kill switch and the guard's per-action hook for Kubernetes actions (real API server).

The ``configmap`` reader is installed explicitly here (and removed afterwards, so other tests see the
policy package's default). In a guarded run it must be in place before the preflight reads the switch:
the guarded-run test below starts `chaos` through a two-line wrapper that installs it first — what the
proposed lazy hook in ``chaosguard.safety.policy.killswitch`` would do by itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from chaosguard.errors import InvalidArgument, Refused
from chaosguard.kube.blast import check_kubernetes_action
from chaosguard.kube.killswitch import install, read_configmap, uninstall
from chaosguard.safety.policy import Policy, kill_switch_state
from chaosguard.safety.policy.killswitch import reader_for
from chaosguard.safety.policy.model import ConfigMapRef
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


@pytest.fixture()
def configmap_reader() -> Iterator[None]:
    install()
    try:
        yield
    finally:
        uninstall()


def _switch(kube: TestCluster, ns: str, value: str | None) -> None:
    if value is None:
        kube.kubectl("delete", "configmap", "-n", ns, "chaos-stop", "--ignore-not-found")
        return
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "chaos-stop"},
           "data": {"enabled": value}}
    kube.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(doc))


def test_the_configmap_kill_switch(kube: TestCluster, k8s_namespace: str, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch, configmap_reader: None) -> None:
    ns = k8s_namespace
    assert reader_for("configmap") is read_configmap
    ref = ConfigMapRef(namespace=ns, name="chaos-stop", key="enabled")
    policy = Policy(kill_switch={"configmap": [{"namespace": ns, "name": "chaos-stop", "key": "enabled"}]})

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
    assert read_configmap(ConfigMapRef(namespace=ns, name="chaos-stop", key="other"), 1.0)[0] is False
    # unreadable: fail closed
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    on, reason = read_configmap(ref, 1.0)
    assert on and "fail closed" in reason and "does not exist" in reason


def test_the_guard_hook_judges_a_kubernetes_action_like_the_action_itself(kube: TestCluster,
                                                                         k8s_namespace: str) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=3)
    before = active_pods(kube, ns)
    strict = Policy(max_targets={"count": 1}, namespaces={"deny": ["kube-system"]})
    check_kubernetes_action(strict, "kill_pods", {"namespace": ns, "label_selector": "app=web", "count": 1})
    with pytest.raises(Refused, match="max_targets.count=1"):
        check_kubernetes_action(strict, "kill_pods", {"namespace": ns, "label_selector": "app=web",
                                                      "count": 2})
    with pytest.raises(Refused, match="denied by policy namespaces.deny"):
        check_kubernetes_action(strict, "stress_pods", {"namespace": "kube-system", "label_selector": "a=b",
                                                        "cpu_workers": 1})
    with pytest.raises(Refused, match="3 targets exceed policy max_targets.count=1"):
        check_kubernetes_action(strict, "add_network_latency", {"namespace": ns, "label_selector": "app=web",
                                                                "latency_ms": 100})
    with pytest.raises(InvalidArgument, match="'percent'"):
        check_kubernetes_action(strict, "kill_pods", {"namespace": ns, "label_selector": "app=web",
                                                      "percent": 500})
    check_kubernetes_action(strict, "something_else", {})
    assert active_pods(kube, ns) == before


_WITH_READER = ("import sys; from chaosguard.kube.killswitch import install; install(); "
                "from chaostoolkit.__main__ import cli; sys.argv[0] = 'chaos'; sys.exit(cli())")


def test_a_guarded_run_is_refused_while_the_configmap_switch_is_on(
        kube: TestCluster, k8s_namespace: str, tmp_path: Path, chaos_env: dict[str, str]) -> None:
    """End to end: the guard's preflight reads the ConfigMap switch and refuses; nothing is killed."""
    ns = k8s_namespace
    deployment(kube, ns, replicas=3)
    before = active_pods(kube, ns)
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump({"kill_switch": {"configmap": [
        {"namespace": ns, "name": "chaos-stop", "key": "enabled"}]}}))
    exp = guarded_example(EXAMPLES / "pod-kill-recovery.yaml", tmp_path)
    env = {**run_env(chaos_env, kube, ns, tmp_path), "CHAOSGUARD_POLICY": str(policy)}

    def run() -> dict:
        journal = tmp_path / "journal.json"
        subprocess.run([sys.executable, "-c", _WITH_READER, *chaos_cmd("run", "--journal-path",
                                                                        str(journal), str(exp))[1:]],
                       env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        return json.loads(journal.read_text())

    _switch(kube, ns, "on")
    refused = run()
    evidence = refused["chaosguard"]
    assert refused["status"] == "failed" and refused["run"] == []
    assert evidence["outcome"] == "refused"
    assert evidence["reason"].startswith(f"kill switch: ON (configmap {ns}/chaos-stop:enabled)")
    assert active_pods(kube, ns) == before  # nothing was killed
    _switch(kube, ns, "off")
    ran = run()
    assert ran["status"] == "completed" and len(ran["run"][0]["output"]["pods"]) == 1
