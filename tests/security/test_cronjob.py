"""Item 11 of issue 9: the CronJob of ``chaos gameday schedule --kubernetes`` passes a security
review.

Attacks (each failed on the code before the fix): ``--env`` secrets landed in plain ``value:``;
there was no way to take the environment from a Secret; no resource requests or limits; an image
without a digest went by silently; the Role could read every ConfigMap of the namespace.

The last test applies the rendered manifests to the real test API server and proves least
privilege with ``kubectl auth can-i --as=system:serviceaccount:<ns>:<sa>``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from chaosguard.cli.gameday import gameday
from tests.k8s_cluster import TestCluster

pytestmark = pytest.mark.security

DIGEST = "registry.example/gameday@sha256:" + "ab" * 32


def _suite(tmp_path: Path, kill_switch_ns: str = "ops") -> Path:
    (tmp_path / "e.yaml").write_text("title: t\ndescription: d\nmethod: []\n")
    policy = {
        "kill_switch": {
            "configmap": [{"namespace": kill_switch_ns, "name": "chaos-kill-switch", "key": "on"}]
        }
    }
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
    suite = {"name": "weekly", "policy": "policy.yaml", "experiments": ["e.yaml"]}
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite))
    return tmp_path / "suite.yaml"


def _schedule(tmp_path: Path, *args: str, ks_ns: str = "ops") -> Any:
    return CliRunner().invoke(
        gameday,
        ["schedule", str(_suite(tmp_path, ks_ns)), "--cron", "0 9 * * 1", "--kubernetes", *args],
        catch_exceptions=False,
    )


def _docs(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return list(yaml.safe_load_all(result.stdout))


def _container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    cron = next(d for d in docs if d["kind"] == "CronJob")
    (container,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return dict(container)


@pytest.mark.parametrize(
    "pair",
    [
        "DB_PASSWORD=hunter2-hunter2",
        "API_TOKEN=abc123",
        "SLACK_HOOK=https://hooks.slack.com/services/T0/B0/q8WvR2xTzN5kLm3P",
        "UPSTREAM=https://user:pw@example.com/",
        "HEADER=Bearer abcdefghijklmnop",
    ],
)
def test_a_secret_env_value_is_refused_with_a_hint(tmp_path: Path, pair: str) -> None:
    result = CliRunner().invoke(
        gameday,
        [
            "schedule",
            str(_suite(tmp_path)),
            "--cron",
            "@daily",
            "--kubernetes",
            "--image",
            DIGEST,
            "--env",
            pair,
        ],
    )
    assert result.exit_code == 4, result.output
    assert pair.split("=", 1)[1] not in result.output
    assert "--env-from-secret" in result.output and len(result.output.strip().splitlines()) == 1


def test_env_from_a_secret_resources_and_a_plain_env(tmp_path: Path) -> None:
    docs = _docs(
        _schedule(
            tmp_path,
            "--image",
            DIGEST,
            "--env-from-secret",
            "gameday-env",
            "--env",
            "PROMETHEUS_URL=http://prometheus.monitoring:9090",
            "--memory-limit",
            "2Gi",
        )
    )
    container = _container(docs)
    assert container["envFrom"] == [{"secretRef": {"name": "gameday-env"}}]
    assert {"name": "PROMETHEUS_URL", "value": "http://prometheus.monitoring:9090"} in container[
        "env"
    ]
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    }


def test_an_image_without_a_digest_is_warned_about(tmp_path: Path) -> None:
    result = _schedule(tmp_path, "--image", "registry.example/gameday:1.2")
    _docs(result)
    assert "no digest" in result.stderr and "@sha256:" in result.stderr
    assert "# warning: image registry.example/gameday:1.2 has no digest" in result.stdout
    pinned = _schedule(tmp_path, "--image", DIGEST)
    _docs(pinned)
    assert "digest" not in pinned.stderr


def test_configmaps_only_the_kill_switch_by_name(tmp_path: Path) -> None:
    docs = _docs(
        _schedule(tmp_path, "--image", DIGEST, "--namespace", "chaos", "--target-namespace", "shop")
    )
    roles = {d["metadata"]["namespace"]: d["rules"] for d in docs if d["kind"] == "Role"}
    assert set(roles) == {"shop", "ops"}
    for ns, rules in roles.items():
        for rule in rules:
            assert "secrets" not in rule["resources"] and "*" not in rule["verbs"]
            if "configmaps" in rule["resources"]:
                assert ns == "ops" and rule["verbs"] == ["get"]
                assert rule["resourceNames"] == ["chaos-kill-switch"]
    assert [r["resources"] for r in roles["ops"]] == [["configmaps"]]
    bound = {d["metadata"]["namespace"] for d in docs if d["kind"] == "RoleBinding"}
    assert bound == {"shop", "ops"}


def _can(cluster: TestCluster, sa: str, verb: str, what: str, ns: str) -> bool:
    proc = cluster.kubectl("auth", "can-i", verb, what, "-n", ns, f"--as={sa}", check=False)
    answer = proc.stdout.strip()
    assert answer in ("yes", "no"), proc.stderr
    return answer == "yes"


@pytest.mark.kubernetes
def test_applied_to_the_api_server_it_grants_least_privilege(
    tmp_path: Path,
    k8s_cluster: TestCluster,
    k8s_namespace: str,
) -> None:
    cluster, home = k8s_cluster, k8s_namespace
    tag = secrets.token_hex(3)
    target, other, ops = f"cj-target-{tag}", f"cj-other-{tag}", f"cj-ops-{tag}"
    for ns in (target, other, ops):
        cluster.kubectl("create", "namespace", ns)
    try:
        result = _schedule(
            tmp_path,
            "--image",
            DIGEST,
            "--namespace",
            home,
            "--target-namespace",
            target,
            "--env-from-secret",
            "gameday-env",
            ks_ns=ops,
        )
        docs = _docs(result)
        applied = cluster.kubectl("apply", "-f", "-", input=result.stdout)
        assert "cronjob.batch/chaosguard-gameday-weekly created" in applied.stdout
        stored = cluster.kubectl_json("get", "cronjob", "chaosguard-gameday-weekly", "-n", home)
        (container,) = stored["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        assert container["resources"] == _container(docs)["resources"]
        assert container["envFrom"] == [{"secretRef": {"name": "gameday-env"}}]
        sa = f"system:serviceaccount:{home}:chaosguard-gameday-weekly"
        allowed = [
            ("delete", "pods", target),
            ("list", "pods", target),
            ("get", "poddisruptionbudgets.policy", target),
            ("list", "deployments.apps", target),
            ("create", "networkchaos.chaos-mesh.org", target),
            ("delete", "stresschaos.chaos-mesh.org", target),
            ("get", "configmaps/chaos-kill-switch", ops),
        ]
        refused = [
            ("delete", "pods", other),
            ("list", "pods", other),
            ("delete", "pods", home),
            ("get", "secrets", target),
            ("list", "secrets", home),
            ("get", "secrets/gameday-env", home),
            ("get", "configmaps", target),
            ("get", "configmaps/other-config", ops),
            ("list", "configmaps", ops),
            ("update", "configmaps/chaos-kill-switch", ops),
            ("create", "pods", target),
            ("create", "rolebindings.rbac.authorization.k8s.io", target),
        ]
        assert [c for c in allowed if not _can(cluster, sa, *c)] == []
        assert [c for c in refused if _can(cluster, sa, *c)] == []
    finally:
        for ns in (target, other, ops):
            cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)
