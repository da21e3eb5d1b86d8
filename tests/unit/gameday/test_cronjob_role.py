"""The game day CronJob's Role grants the scope lock's Lease, and only that Lease, in each target
namespace (the Lease itself is exercised with this Role on the API server in
``tests/kubernetes/test_lease_lock.py``)."""

from __future__ import annotations

from pathlib import Path

from chaosguard.gameday.cronjob import kubernetes_manifests
from chaosguard.gameday.suite import Suite
from chaosguard.kube.lease import LEASE_NAME


def _suite(tmp_path: Path) -> Suite:
    (tmp_path / "e.yaml").write_text("title: t\n")
    return Suite.model_validate(
        {"name": "shop", "experiments": ["e.yaml"]}, context={"base": str(tmp_path)}
    )


def test_each_target_role_may_create_the_lease_and_only_touch_its_own(tmp_path: Path) -> None:
    docs = kubernetes_manifests(
        _suite(tmp_path),
        "@daily",
        "chaos",
        "img:1",
        "s.yaml",
        target_namespaces=["shop", "payments"],
        kill_switch_configmaps=[("ops", "stop")],
    )
    roles = {d["metadata"]["namespace"]: d["rules"] for d in docs if d["kind"] == "Role"}
    assert set(roles) == {"shop", "payments", "ops"}
    for ns in ("shop", "payments"):
        leases = [r for r in roles[ns] if r["resources"] == ["leases"]]
        assert leases == [
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
            {
                "apiGroups": ["coordination.k8s.io"],
                "resources": ["leases"],
                "resourceNames": [LEASE_NAME],
                "verbs": ["get", "update", "delete"],
            },
        ]
    # the kill switch's namespace is read, never locked
    assert not any("leases" in r["resources"] for r in roles["ops"])
