"""A scheduled game day as a Kubernetes CronJob, with its ServiceAccount and least-privilege RBAC.

The CronJob never runs two game days at once (``concurrencyPolicy: Forbid``), never retries one
(``backoffLimit: 0``: a game day that failed must be looked at, not replayed) and is bounded by
``activeDeadlineSeconds`` = every experiment's timeout + every recovery wait + 5 minutes. Its Role
grants exactly what chaosguard's Kubernetes faults and checks use, in each target namespace: pods
(get, list, delete), PodDisruptionBudgets and Deployments/StatefulSets (get, list), Chaos Mesh
NetworkChaos/StressChaos (get, list, create, delete), the scope lock's Lease (create; get, update,
delete of the Lease named ``chaosguard-scope`` only); ConfigMaps only ``get`` of the policy's
kill-switch ConfigMaps, by ``resourceNames``, in their own namespaces — never Secrets.

What a security review asks of the pod: environment values that look secret are refused as plain
``value:`` (put them in a Secret: ``--env-from-secret NAME`` renders ``envFrom: secretRef``);
resource requests and limits are always set (:data:`DEFAULT_RESOURCES`, each can be changed);
an image without a digest (``@sha256:``) is accepted with a warning (:func:`digest_warning`);
non-root, read-only root filesystem, no privilege escalation, every capability dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from chaosguard.errors import InvalidArgument
from chaosguard.gameday.schedule import check_env, check_zone, slug, validate_cron
from chaosguard.gameday.suite import Suite
from chaosguard.journal.redact import Redactor, is_secret_key
from chaosguard.journal.urls import redact_url
from chaosguard.kube.lease import LEASE_NAME
from chaosguard.kube.names import is_dns_label

__all__ = [
    "DEFAULT_RESOURCES",
    "ROLE_RULES",
    "container_resources",
    "digest_warning",
    "kubernetes_manifests",
    "render_manifests",
    "suite_deadline_s",
]

_OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$")


_FACTOR = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
_FACTOR |= {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}


#: requests and limits of the game-day container unless ``--cpu-request`` … say otherwise
DEFAULT_RESOURCES = {
    "cpu_request": "100m",
    "memory_request": "256Mi",
    "cpu_limit": "1",
    "memory_limit": "1Gi",
}


ROLE_RULES: list[dict[str, list[str]]] = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "delete"]},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["get", "list"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"], "verbs": ["get", "list"]},
    {
        "apiGroups": ["chaos-mesh.org"],
        "resources": ["networkchaos", "stresschaos"],
        "verbs": ["get", "list", "create", "delete"],
    },
    # the scope lock of a guarded run (chaosguard.guard.lock): create the Lease, then only ours
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
    {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "resourceNames": [LEASE_NAME],
        "verbs": ["get", "update", "delete"],
    },
]


STATE_DIR = "/var/lib/chaosguard"


OUTPUT_ROOT = "/var/run/chaosguard"


def _refuse_secret_env(env: Mapping[str, str]) -> None:
    """A CronJob's plain ``value:`` is readable by anyone who can read the CronJob."""
    plain = Redactor()
    for name, value in env.items():
        if is_secret_key(name) or plain.text(value) != value or redact_url(value) != value:
            raise InvalidArgument(
                "--env",
                f"{name} looks secret and would be a plain value in the CronJob: put it in a "
                "Secret and pass --env-from-secret SECRET_NAME",
            )


def digest_warning(image: str) -> str | None:
    """A one-line warning when ``image`` is not pinned by digest, else None."""
    if "@sha256:" in image:
        return None
    return (
        f"warning: image {image} has no digest: each run may pull a different image; "
        f"pin it as {image.split('@')[0]}@sha256:<digest>"
    )


def _quantity(text: str, field: str) -> float:
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidArgument(
            field, f"expected a Kubernetes quantity like 500m or 1Gi (got {text!r})"
        )
    return float(match.group(1)) * _FACTOR.get(match.group(2) or "", 1)


def container_resources(resources: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """The container's ``resources`` from :data:`DEFAULT_RESOURCES` and the given overrides
    (keys ``cpu_request``, ``memory_request``, ``cpu_limit``, ``memory_limit``)."""
    chosen = dict(DEFAULT_RESOURCES)
    for key, value in (resources or {}).items():
        if key not in DEFAULT_RESOURCES:
            raise InvalidArgument("resources", f"unknown key {key!r}")
        if value is not None:
            chosen[key] = value.strip()
    for what in ("cpu", "memory"):
        request, limit = chosen[f"{what}_request"], chosen[f"{what}_limit"]
        low = _quantity(request, f"--{what}-request")
        if low <= 0 or low > _quantity(limit, f"--{what}-limit"):
            raise InvalidArgument(
                f"--{what}-request", f"{request} must be above 0 and at most the limit {limit}"
            )
    return {
        "requests": {"cpu": chosen["cpu_request"], "memory": chosen["memory_request"]},
        "limits": {"cpu": chosen["cpu_limit"], "memory": chosen["memory_limit"]},
    }


def suite_deadline_s(suite: Suite) -> int:
    """An upper bound of a game day's duration: experiment timeouts + recovery waits + 5 min."""
    experiments = sum(e.timeout_s or suite.experiment_timeout_s for e in suite.experiments)
    recovery = (
        suite.recovery.timeout_s * max(0, len(suite.experiments) - 1) if suite.guards else 0.0
    )
    return int(experiments + recovery + 300)


def kubernetes_manifests(
    suite: Suite,
    cron: str,
    namespace: str,
    image: str,
    suite_path: str,
    target_namespaces: Sequence[str] = (),
    timezone: str | None = None,
    env: Mapping[str, str] | None = None,
    workdir: str | None = None,
    output_pvc: str | None = None,
    env_from_secrets: Sequence[str] = (),
    resources: Mapping[str, str | None] | None = None,
    kill_switch_configmaps: Sequence[tuple[str, str]] = (),
) -> list[dict[str, Any]]:
    """A ServiceAccount, a Role + RoleBinding per namespace it needs (each target namespace,
    default ``namespace``; the namespace of each kill-switch ConfigMap), the CronJob.

    :param env: plain environment values; one that looks secret is refused (``--env``).
    :param env_from_secrets: Secrets whose keys become the environment (``envFrom``).
    :param resources: overrides of :data:`DEFAULT_RESOURCES`.
    :param kill_switch_configmaps: ``(namespace, name)`` of the policy's kill-switch ConfigMaps:
        the only ConfigMaps the Role lets the game day read.
    """
    expression = validate_cron(cron)
    check_zone(timezone)
    check_env(env or {})
    _refuse_secret_env(env or {})
    switches = list(dict.fromkeys(kill_switch_configmaps))
    for what, ns in [
        ("--namespace", namespace),
        *(("--target-namespace", t) for t in target_namespaces),
        *(("kill_switch.configmap", ns) for ns, _ in switches),
    ]:
        if not is_dns_label(ns):
            raise InvalidArgument(what, f"{ns!r} is not a namespace name")
    if not image.strip() or any(c.isspace() for c in image):
        raise InvalidArgument("--image", f"expected a container image reference (got {image!r})")
    for what, value in [
        ("--output-pvc", output_pvc),
        *(("--env-from-secret", s) for s in env_from_secrets),
        *(("kill_switch.configmap", n) for _, n in switches),
    ]:
        if value is not None and not _OBJECT_NAME.match(value):
            raise InvalidArgument(what, f"{value!r} is not a Kubernetes object name")
    name = f"chaosguard-gameday-{slug(suite.name, 32)}"
    labels = {
        "app.kubernetes.io/name": "chaosguard",
        "app.kubernetes.io/component": "gameday",
        "chaosguard.io/suite": slug(suite.name, 63),
    }
    rules = {t: [dict(r) for r in ROLE_RULES] for t in target_namespaces or [namespace]}
    for ns, cm in switches:
        own = [r for r in rules.setdefault(ns, []) if r["resources"] == ["configmaps"]]
        if own:
            own[0]["resourceNames"].append(cm)
        else:
            rules[ns].append(
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}
                | {"resourceNames": [cm]}
            )
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
        }
    ]
    for target, target_rules in rules.items():
        meta = {"name": name, "namespace": target, "labels": labels}
        docs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": meta,
                "rules": target_rules,
            }
        )
        docs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": meta,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
            }
        )
    docs.append(
        _cronjob(
            name,
            namespace,
            labels,
            expression,
            image,
            suite_path,
            suite,
            timezone,
            env or {},
            workdir,
            output_pvc,
            {"resources": container_resources(resources)}
            | (
                {"envFrom": [{"secretRef": {"name": s}} for s in dict.fromkeys(env_from_secrets)]}
                if env_from_secrets
                else {}
            ),
        )
    )
    return docs


def _cronjob(
    name: str,
    namespace: str,
    labels: dict[str, str],
    expression: str,
    image: str,
    suite_path: str,
    suite: Suite,
    timezone: str | None,
    env: Mapping[str, str],
    workdir: str | None,
    output_pvc: str | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "gameday",
        "image": image,
        "command": [
            "chaos",
            "--no-version-check",
            "--no-log-file",
            "gameday",
            "run",
            suite_path,
            "--output-dir",
            f"{OUTPUT_ROOT}/{{name}}-{{time}}",
        ],
        "env": [
            {"name": "CHAOSGUARD_HOME", "value": STATE_DIR},
            {"name": "HOME", "value": "/tmp"},
            *({"name": k, "value": v} for k, v in env.items()),
        ],
        **extra,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "state", "mountPath": STATE_DIR},
            {"name": "output", "mountPath": OUTPUT_ROOT},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    if workdir:
        container["workingDir"] = workdir
    output = (
        {"persistentVolumeClaim": {"claimName": output_pvc}} if output_pvc else {"emptyDir": {}}
    )
    spec: dict[str, Any] = {
        "schedule": expression,
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 600,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 5,
        "jobTemplate": {
            "metadata": {"labels": labels},
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": suite_deadline_s(suite),
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": name,
                        "restartPolicy": "Never",
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": 65532,
                            "runAsGroup": 65532,
                            "fsGroup": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [container],
                        "volumes": [
                            {"name": "state", "emptyDir": {}},
                            {"name": "output", **output},
                            {"name": "tmp", "emptyDir": {}},
                        ],
                    },
                },
            },
        },
    }
    if timezone is not None:
        spec["timeZone"] = timezone
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": spec,
    }


def render_manifests(docs: Sequence[Mapping[str, Any]], header: str = "") -> str:
    """Multi-document YAML (``kubectl apply -f -``)."""
    head = "".join(f"# {line}\n" for line in header.splitlines())
    body: str = yaml.safe_dump_all(list(docs), sort_keys=False, default_flow_style=False)
    return head + body
