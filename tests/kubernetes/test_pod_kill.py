"""kill_pods against a real API server: kills, recovery, policy refusals, dry run, bad input.

What runs: etcd + kube-apiserver (TLS, RBAC) + controller-manager (ReplicaSets, the disruption
controller that computes PDB status) + scheduler + kwok, which fakes the kubelet: pods become
Running/Ready and deleted pods go away, so a Deployment really replaces the pods we kill.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosguard.actions.pods import kill_pods
from chaosguard.errors import InvalidArgument, Refused
from chaosguard.probes.kubernetes import (
    all_pods_ready,
    deployment_ready_replicas,
    statefulset_ready_replicas,
    time_to_recovery,
)
from tests.helpers import ledger_records
from tests.k8s_cluster import TestCluster
from tests.kubernetes.fixtures import (  # noqa: F401 - fixtures
    active_pods,
    deployment,
    kube,
    node_heartbeat,
    policy,
    wait_for,
)

pytestmark = pytest.mark.kubernetes


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text, text
    return text


def test_kill_by_count_is_recorded_and_the_recovery_probe_measures_the_replacement(
    kube: TestCluster, k8s_namespace: str, chaosguard_home: Path
) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=4)
    before = active_pods(kube, ns)
    assert deployment_ready_replicas(ns, "web") == 4 and all_pods_ready(ns, "app=web", min_pods=4)

    out = kill_pods(ns, label_selector="app=web", count=2, grace_period_s=0)

    killed = {p["name"]: p["uid"] for p in out["pods"]}
    assert len(killed) == 2 and out["matching"] == 4
    assert all(before[name] == uid for name, uid in killed.items())
    assert all(p["result"] == "deleted" and p["node"] == "kwok-node-0" for p in out["pods"])
    seconds = time_to_recovery(ns, "web", timeout_s=60)
    assert seconds > 0  # measured since the kill; the probe raises when it does not recover in time
    after = active_pods(kube, ns)
    assert len(after) == 4 and not set(after.values()) & set(killed.values())
    assert deployment_ready_replicas(ns, "web") == 4
    # evidence: one closed, not revertible record naming each pod, its uid, node and time
    (record,) = [r for r in ledger_records(chaosguard_home) if r["kind"] == "pod-kill"]
    assert record["revertible"] is False
    assert {t["uid"] for t in record["spec"]["targets"]} == set(killed.values())
    run_file = next((chaosguard_home / "ledger").rglob(f"{record['run_id']}.jsonl"))
    lines = [json.loads(x) for x in run_file.read_text().splitlines()]
    update = next(x for x in lines if x.get("op") == "update" and x["id"] == record["id"])
    assert {k["uid"] for k in update["handles"]["killed"]} == set(killed.values())
    assert all(k["at"] > record["created_at"] for k in update["handles"]["killed"])
    assert any(x.get("op") == "close" and x["outcome"] == "not-revertible" for x in lines)


def test_kill_by_percent_rounds_up_and_the_deployment_recovers(
    kube: TestCluster, k8s_namespace: str
) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=5)
    out = kill_pods(ns, name_pattern="^web-", percent=59, order="oldest", grace_period_s=0)
    assert (
        len(out["pods"]) == 2 and out["matching"] == 5
    )  # 2.95 rounded down: never more than asked
    assert time_to_recovery(ns, "web", timeout_s=60) < 60
    assert all_pods_ready(ns, "app=web", min_pods=5)


def test_dry_run_lists_the_exact_pods_and_deletes_nothing(
    kube: TestCluster, k8s_namespace: str, chaosguard_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=3)
    before = active_pods(kube, ns)
    with caplog.at_level("INFO", logger="chaostoolkit"):
        out = kill_pods(ns, label_selector="app=web", count=2, order="alphabetic", dry_run=True)
    assert out["dry_run"] is True and out["record"] is None
    assert [p["name"] for p in out["pods"]] == sorted(before)[:2]
    assert all(p["uid"] == before[p["name"]] for p in out["pods"])
    assert all(p["name"] in caplog.text for p in out["pods"])
    assert active_pods(kube, ns) == before
    assert not [r for r in ledger_records(chaosguard_home) if r["kind"] == "pod-kill"]


def _pdb(kube: TestCluster, ns: str, **spec: object) -> None:
    doc = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web-pdb"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
    }
    kube.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(doc))

    def computed() -> bool:
        pdb = kube.kubectl_json("get", "pdb", "-n", ns, "web-pdb")
        return (
            pdb.get("status", {}).get("observedGeneration") == pdb["metadata"]["generation"]
            and pdb["status"].get("currentHealthy") == 3
        )

    wait_for("the disruption controller to compute the PDB status", computed, timeout=30)


def test_a_kill_beyond_the_pdb_is_refused_and_nothing_is_deleted(
    kube: TestCluster, k8s_namespace: str, policy
) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=3)
    _pdb(kube, ns, maxUnavailable=1)
    before = active_pods(kube, ns)
    with pytest.raises(Refused) as refused:
        kill_pods(ns, label_selector="app=web", count=2)
    message = _one_line(refused.value)
    assert f"PodDisruptionBudget '{ns}/web-pdb'" in message and "allows 1 disruption" in message
    assert "respect_pdb" in message
    assert active_pods(kube, ns) == before
    # within the budget it goes ahead; with respect_pdb off the budget is not consulted
    dry = kill_pods(ns, label_selector="app=web", count=1, dry_run=True)
    assert dry["budgets"] == [
        {"name": "web-pdb", "namespace": ns, "disruptions_allowed": 1, "targets": 1}
    ]
    policy(respect_pdb=False)
    assert len(kill_pods(ns, label_selector="app=web", count=2, dry_run=True)["pods"]) == 2


def test_policy_denials_refuse_before_anything_is_deleted(
    kube: TestCluster, k8s_namespace: str, policy
) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=3, labels={"app": "web", "tier": "critical"})
    before = active_pods(kube, ns)
    policy(namespaces={"deny": [ns]})
    with pytest.raises(Refused, match=f"namespace '{ns}' is denied by policy namespaces.deny"):
        kill_pods(ns, label_selector="app=web", count=1)
    policy(namespaces={"allow": ["somewhere-else"]})
    with pytest.raises(Refused, match=r"not in policy namespaces\.allow"):
        kill_pods(ns, label_selector="app=web", count=1)
    policy(label_selectors={"deny": ["tier=critical"]})
    with pytest.raises(Refused, match="matches denied selector 'tier=critical'"):
        kill_pods(ns, label_selector="app=web", count=1)
    policy(max_targets={"count": 1})
    with pytest.raises(Refused, match=r"2 targets exceed policy max_targets\.count=1"):
        kill_pods(ns, label_selector="app=web", count=2)
    policy(max_targets={"percent": 34})
    with pytest.raises(Refused, match=r"2 of 3 matching targets \(66.7 %\) exceed .*percent=34"):
        kill_pods(ns, label_selector="app=web", percent=67)
    assert len(kill_pods(ns, label_selector="app=web", percent=34, dry_run=True)["pods"]) == 1
    assert active_pods(kube, ns) == before


def test_a_denied_namespace_is_refused_without_contacting_any_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    policy(namespaces={"deny": ["kube-system"]})
    with pytest.raises(Refused, match="namespace 'kube-system' is denied"):
        kill_pods("kube-system", label_selector="k8s-app=kube-dns", count=1)


def test_bad_input_is_one_line_naming_the_field(kube: TestCluster, k8s_namespace: str) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=2)
    before = active_pods(kube, ns)
    cases = [
        (
            dict(namespace="no-such-ns", label_selector="app=web", count=1),
            "namespace",
            "does not exist",
        ),
        (
            dict(namespace=ns, label_selector="app=nothing", count=1),
            "label_selector",
            "matches no running pod",
        ),
        (
            dict(namespace=ns, name_pattern="^zzz", count=1),
            "name_pattern",
            "matches no running pod",
        ),
        (dict(namespace=ns, label_selector="app=web", percent=150), "percent", "100"),
        (dict(namespace=ns, label_selector="app=web", count=1, percent=10), "count", "exactly one"),
        (dict(namespace=ns, label_selector="app=web"), "count", "exactly one"),
        (dict(namespace=ns, count=1), "label_selector", "every pod"),
        (dict(namespace=ns, label_selector="app in (web", count=1), "label_selector", "unbalanced"),
        (dict(namespace=ns, name_pattern="(", count=1), "name_pattern", "regular expression"),
        (dict(namespace=ns, label_selector="app=web", count=1, order="biggest"), "order", "random"),
        (
            dict(namespace="Not_A_Namespace", label_selector="app=web", count=1),
            "namespace",
            "namespace",
        ),
        (
            dict(namespace=ns, label_selector="app=web", count=1, grace_period_s=-5),
            "grace_period_s",
            "-1",
        ),
    ]
    for kwargs, field, words in cases:
        with pytest.raises(InvalidArgument) as err:
            kill_pods(**kwargs)
        assert err.value.field == field, (kwargs, str(err.value))
        assert words in _one_line(err.value), (kwargs, str(err.value))
    assert active_pods(kube, ns) == before


_FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture()
def web2(kube: TestCluster, k8s_namespace: str) -> tuple[str, dict[str, str]]:
    """A namespace with a 2-replica web Deployment, and its pods (name → uid)."""
    deployment(kube, k8s_namespace, replicas=2)
    return k8s_namespace, active_pods(kube, k8s_namespace)


@_FUZZ
@given(
    count=st.integers(min_value=-(10**6), max_value=0),
    percent=st.floats(min_value=100.0001, max_value=1e9)
    | st.floats(min_value=-1e9, max_value=-1e-4)
    | st.sampled_from([float("nan"), float("inf"), 0.0]),
)
def test_fuzzed_amounts_are_refused_naming_the_field_and_delete_nothing(
    kube: TestCluster, web2: tuple[str, dict[str, str]], count: int, percent: float
) -> None:
    ns, before = web2
    with pytest.raises(InvalidArgument) as err:
        kill_pods(ns, label_selector="app=web", count=count, percent=percent)
    assert err.value.field in ("count", "percent"), str(err.value)
    assert "\n" not in str(err.value)
    assert active_pods(kube, ns) == before


@_FUZZ
@given(selector=st.text(min_size=1, max_size=40))
def test_fuzzed_selectors_are_one_line_errors_or_an_honest_dry_run(
    kube: TestCluster, web2: tuple[str, dict[str, str]], selector: str
) -> None:
    ns, before = web2
    try:
        out = kill_pods(ns, label_selector=selector, count=1, dry_run=True)
    except InvalidArgument as exc:
        assert exc.field == "label_selector", str(exc)
        assert "\n" not in str(exc)
    else:  # a valid selector that matches the web pods (e.g. "app"): the dry run names one of them
        assert out["pods"][0]["uid"] in before.values()
    assert active_pods(kube, ns) == before


def test_kubeconfig_problems_are_one_line_errors(
    kube: TestCluster, k8s_namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ns = k8s_namespace
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KUBECONFIG")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(InvalidArgument) as err:
        kill_pods(ns, label_selector="app=web", count=1)
    assert err.value.field == "kubeconfig"
    assert _one_line(err.value).startswith(
        "invalid argument 'kubeconfig': no kubeconfig found: set KUBECONFIG"
    )
    assert "localhost" not in str(err.value)
    with pytest.raises(InvalidArgument, match=r"kubeconfig .*/absent .*does not exist"):
        kill_pods(
            ns,
            label_selector="app=web",
            count=1,
            configuration={"kubeconfig_path": str(tmp_path / "absent")},
        )
    with pytest.raises(InvalidArgument) as err:
        kill_pods(
            ns,
            label_selector="app=web",
            count=1,
            configuration={"kubeconfig_path": str(kube.kubeconfig), "kubernetes_context": "prod"},
        )
    assert err.value.field == "kubernetes_context"
    assert "context 'prod'" in _one_line(err.value) and "chaosguard-test" in str(err.value)
    with pytest.raises(
        InvalidArgument, match="context 'staging' \\(from secret KUBERNETES_CONTEXT\\)"
    ):
        kill_pods(
            ns,
            label_selector="app=web",
            count=1,
            configuration={"kubeconfig_path": str(kube.kubeconfig)},
            secrets={"KUBERNETES_CONTEXT": "staging"},
        )


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_is_verified_by_default(kube: TestCluster, k8s_namespace: str, tmp_path: Path) -> None:
    ns = k8s_namespace
    deployment(kube, ns, replicas=2)
    other_ca = tmp_path / "other-ca.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=not-the-cluster",
            "-keyout",
            str(tmp_path / "k.pem"),
            "-out",
            str(other_ca),
        ],
        check=True,
        capture_output=True,
    )
    cfg = json.loads(Path(kube.kubeconfig).read_text())
    cfg["clusters"][0]["cluster"]["certificate-authority"] = str(other_ca)
    wrong = tmp_path / "wrong-ca.kubeconfig"
    wrong.write_text(json.dumps(cfg))
    conf = {"kubeconfig_path": str(wrong)}
    with pytest.raises(Exception) as err:
        kill_pods(ns, label_selector="app=web", count=1, dry_run=True, configuration=conf)
    message = _one_line(err.value)
    assert "cannot reach the Kubernetes API at https://127.0.0.1" in message
    assert "CERTIFICATE_VERIFY_FAILED" in message or "certificate verify failed" in message
    # explicitly turned off (as chaostoolkit-kubernetes' KUBERNETES_VERIFY_SSL), it connects
    out = kill_pods(
        ns,
        label_selector="app=web",
        count=1,
        dry_run=True,
        configuration=conf,
        secrets={"KUBERNETES_VERIFY_SSL": "false"},
    )
    assert len(out["pods"]) == 1


def test_statefulset_probe_and_unknown_workloads(kube: TestCluster, k8s_namespace: str) -> None:
    ns = k8s_namespace
    doc = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "replicas": 2,
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "db", "image": "registry.invalid/db:1"}]},
            },
        },
    }
    kube.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(doc))
    wait_for("2 ready db replicas", lambda: statefulset_ready_replicas(ns, "db") == 2)
    out = kill_pods(ns, label_selector="app=db", count=1, order="alphabetic", grace_period_s=0)
    assert out["pods"][0]["name"] == "db-0"
    assert time_to_recovery(ns, "db", kind="statefulset", timeout_s=60) < 60
    assert all_pods_ready(ns, "app=db", min_pods=2)
    with pytest.raises(InvalidArgument, match="deployment 'ghost' not found in namespace"):
        deployment_ready_replicas(ns, "ghost")
    with pytest.raises(InvalidArgument, match="'kind'"):
        time_to_recovery(ns, "db", kind="daemonset")
