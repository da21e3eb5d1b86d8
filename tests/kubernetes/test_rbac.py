"""RBAC: a ServiceAccount allowed to kill pods in one namespace only is refused elsewhere, in one
line.

The token comes from the TokenRequest API (``kubectl create token``); the kubeconfig we write for it
verifies TLS against the test API server's CA, like the admin one.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from chaosguard.actions.pods import kill_pods
from chaosguard.errors import Refused
from tests.k8s_cluster import TestCluster
from tests.kubernetes.fixtures import active_pods, deployment, kube, node_heartbeat  # noqa: F401

pytestmark = pytest.mark.kubernetes


def _role(kube: TestCluster, ns: str, name: str, verbs: list[str]) -> None:
    doc = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": ns},
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": verbs},
            {
                "apiGroups": ["policy"],
                "resources": ["poddisruptionbudgets"],
                "verbs": ["get", "list"],
            },
        ],
    }
    kube.kubectl("apply", "-f", "-", input=json.dumps(doc))


def _bind(kube: TestCluster, ns: str, role: str, sa_ns: str, sa: str) -> None:
    doc = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": f"{role}-{sa}", "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": sa_ns}],
    }
    kube.kubectl("apply", "-f", "-", input=json.dumps(doc))


def _kubeconfig_for(kube: TestCluster, ns: str, sa: str, path: Path) -> Path:
    token = kube.kubectl("create", "token", sa, "-n", ns, "--duration=10m").stdout.strip()
    assert token.count(".") == 2  # a JWT from the TokenRequest API
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "test",
                        "cluster": {
                            "server": kube.server,
                            "certificate-authority": str(kube.ca_file),
                        },
                    }
                ],
                "users": [{"name": sa, "user": {"token": token}}],
                "contexts": [{"name": f"{sa}@test", "context": {"cluster": "test", "user": sa}}],
                "current-context": f"{sa}@test",
            }
        )
    )
    return path


def test_a_service_account_confined_to_one_namespace_is_refused_elsewhere(
    kube: TestCluster, k8s_namespace: str, tmp_path: Path
) -> None:
    home = k8s_namespace
    other, reader_only = (f"{home[:50]}-{x}-{secrets.token_hex(2)}" for x in ("b", "c"))
    for ns in (other, reader_only):
        kube.kubectl("create", "namespace", ns)
    try:
        for ns in (home, other, reader_only):
            deployment(kube, ns, replicas=2, wait=False)
        kube.kubectl("create", "serviceaccount", "chaos", "-n", home)
        _role(kube, home, "pod-killer", ["get", "list", "delete"])
        _bind(kube, home, "pod-killer", home, "chaos")
        _role(kube, reader_only, "pod-reader", ["get", "list"])
        _bind(kube, reader_only, "pod-reader", home, "chaos")
        from tests.kubernetes.fixtures import wait_ready

        for ns in (home, other, reader_only):
            wait_ready(kube, ns, replicas=2)
        conf = {
            "kubeconfig_path": str(_kubeconfig_for(kube, home, "chaos", tmp_path / "sa.kubeconfig"))
        }
        user = f"system:serviceaccount:{home}:chaos"

        # elsewhere: the API server refuses the listing; one line naming user, verb, resource,
        # namespace
        before = active_pods(kube, other)
        with pytest.raises(Refused) as refused:
            kill_pods(other, label_selector="app=web", count=1, configuration=conf)
        message = str(refused.value)
        assert "\n" not in message
        assert "HTTP 403" in message and f'User "{user}"' in message
        assert 'cannot list resource "pods"' in message and f'in the namespace "{other}"' in message
        assert active_pods(kube, other) == before

        # may list but not delete: refused before any deletion (SelfSubjectAccessReview)
        before = active_pods(kube, reader_only)
        dry = kill_pods(
            reader_only, label_selector="app=web", count=1, dry_run=True, configuration=conf
        )
        assert len(dry["pods"]) == 1
        with pytest.raises(Refused) as refused:
            kill_pods(reader_only, label_selector="app=web", count=1, configuration=conf)
        assert f"not allowed to delete pods in namespace '{reader_only}'" in str(refused.value)
        assert "nothing was deleted" in str(refused.value) and "\n" not in str(refused.value)
        assert active_pods(kube, reader_only) == before

        # at home it works
        out = kill_pods(
            home, label_selector="app=web", count=1, grace_period_s=0, configuration=conf
        )
        assert out["pods"][0]["result"] == "deleted"
    finally:
        for ns in (other, reader_only):
            kube.kubectl("delete", "namespace", ns, "--wait=false")
