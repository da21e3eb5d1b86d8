"""Scheduled game days: a crontab line, or a Kubernetes CronJob with its ServiceAccount and RBAC.

The cron expression is checked with croniter and must also be one that cron(8) and Kubernetes
accept: five fields (minute hour day-of-month month day-of-week) or one of ``@yearly @annually
@monthly @weekly @daily @midnight @hourly``; it must fire at least once (``0 9 31 2 *`` never does).

The CronJob never runs two game days at once (``concurrencyPolicy: Forbid``), never retries one
(``backoffLimit: 0``: a game day that failed must be looked at, not replayed) and is bounded by
``activeDeadlineSeconds`` = every experiment's timeout + every recovery wait + 5 minutes. Its Role
grants exactly what chaosguard's Kubernetes faults and checks use, in each target namespace: pods
(get, list, delete), PodDisruptionBudgets and Deployments/StatefulSets (get, list), ConfigMaps
(get: kill switch), Chaos Mesh NetworkChaos/StressChaos (get, list, create, delete).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import yaml

from chaosguard.errors import InvalidArgument
from chaosguard.gameday.suite import Suite
from chaosguard.kube.names import is_dns_label

__all__ = [
    "MACROS",
    "ROLE_RULES",
    "crontab_entry",
    "kubernetes_manifests",
    "next_runs",
    "render_manifests",
    "suite_deadline_s",
    "validate_cron",
]

MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ROLE_RULES: list[dict[str, list[str]]] = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "delete"]},
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["get", "list"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"], "verbs": ["get", "list"]},
    {
        "apiGroups": ["chaos-mesh.org"],
        "resources": ["networkchaos", "stresschaos"],
        "verbs": ["get", "list", "create", "delete"],
    },
]
STATE_DIR = "/var/lib/chaosguard"
OUTPUT_ROOT = "/var/run/chaosguard"


def validate_cron(expression: str, field: str = "--cron") -> str:
    """The expression normalized (single spaces); else :class:`InvalidArgument` naming ``field``."""
    from croniter import CroniterBadDateError, croniter

    text = expression.strip() if isinstance(expression, str) else ""
    if not text or any(c in expression for c in "\r\n\0"):
        raise InvalidArgument(
            field, f"expected a cron expression like '0 9 * * 1' (got {expression!r})"
        )
    if text.startswith("@"):
        if text.lower() not in MACROS:
            raise InvalidArgument(
                field, f"unknown macro {text!r} (expected one of {', '.join(MACROS)})"
            )
        return text.lower()
    fields = text.split()
    if len(fields) != 5:
        raise InvalidArgument(
            field,
            f"expected 5 fields (minute hour day-of-month month day-of-week), got "
            f"{len(fields)} in {text!r}",
        )
    normalized = " ".join(fields)
    try:
        croniter(normalized).get_next(datetime)
    except CroniterBadDateError:
        raise InvalidArgument(field, f"{normalized!r} never fires") from None
    except (ValueError, KeyError, TypeError) as exc:  # CroniterBadCronError is a ValueError
        raise InvalidArgument(
            field, f"{normalized!r} is not a valid cron expression: {' '.join(str(exc).split())}"
        ) from None
    return normalized


def next_runs(expression: str, start: datetime, count: int = 3) -> list[datetime]:
    """The next ``count`` times ``expression`` fires after ``start`` (in ``start``'s time zone)."""
    from croniter import croniter

    it = croniter(validate_cron(expression), start)
    return [it.get_next(datetime) for _ in range(count)]


def _check_zone(timezone: str | None) -> None:
    if timezone is None:
        return
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(timezone)
    except (ValueError, KeyError, OSError):
        raise InvalidArgument("--timezone", f"unknown time zone {timezone!r}") from None


def _check_env(env: Mapping[str, str]) -> None:
    for name, value in env.items():
        if not _ENV_NAME.match(name):
            raise InvalidArgument("--env", f"{name!r} is not an environment variable name")
        if any(c in value for c in "\r\n\0"):
            raise InvalidArgument("--env", f"the value of {name} must be a single line")


def crontab_entry(
    cron: str,
    suite_path: str,
    workdir: str,
    chaos: str,
    log_file: str,
    env: Mapping[str, str] | None = None,
    timezone: str | None = None,
    name: str = "",
    now: datetime | None = None,
) -> str:
    """Lines to add with ``crontab -e``: comments (next runs), optional ``CRON_TZ``, and the job.

    The job runs under ``flock -n`` (a game day still running makes the next one skip, like the
    CronJob's ``concurrencyPolicy: Forbid``); ``%`` is escaped as cron requires.
    """
    expression = validate_cron(cron)
    _check_zone(timezone)
    _check_env(env or {})
    start = now or datetime.now().astimezone()
    if timezone is not None:
        from zoneinfo import ZoneInfo

        start = start.astimezone(ZoneInfo(timezone))
    runs = ", ".join(t.strftime("%Y-%m-%d %H:%M %Z").strip() for t in next_runs(expression, start))
    lock = f"/tmp/chaosguard-gameday-{_slug(name or suite_path)}.lock"
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
    log_dir = log_file.rsplit("/", 1)[0] or "/"
    command = (
        f"mkdir -p {shlex.quote(log_dir)} && cd {shlex.quote(workdir)} && "
        f"{exports + ' ' if exports else ''}flock -n {shlex.quote(lock)} "
        f"{shlex.quote(chaos)} --no-version-check --no-log-file gameday run "
        f"{shlex.quote(suite_path)} >> {shlex.quote(log_file)} 2>&1"
    )
    lines = [f"# chaosguard game day {name or suite_path}: next runs {runs}"]
    if timezone is not None:
        lines.append(
            f"CRON_TZ={timezone}  # honoured by cronie and systemd-cron, not by Debian's cron"
        )
    lines.append(f"{expression} {command.replace('%', chr(92) + '%')}")
    return "\n".join(lines) + "\n"


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return slug or "suite"


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
) -> list[dict[str, Any]]:
    """A ServiceAccount, a Role + RoleBinding per target namespace (default: ``namespace``), the
    CronJob."""
    expression = validate_cron(cron)
    _check_zone(timezone)
    _check_env(env or {})
    for what, ns in [
        ("--namespace", namespace),
        *(("--target-namespace", t) for t in target_namespaces),
    ]:
        if not is_dns_label(ns):
            raise InvalidArgument(what, f"{ns!r} is not a namespace name")
    if not image.strip() or any(c.isspace() for c in image):
        raise InvalidArgument("--image", f"expected a container image reference (got {image!r})")
    if output_pvc is not None and not re.match(
        r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", output_pvc
    ):
        raise InvalidArgument("--output-pvc", f"{output_pvc!r} is not a PersistentVolumeClaim name")
    name = f"chaosguard-gameday-{_slug(suite.name, 32)}"
    labels = {
        "app.kubernetes.io/name": "chaosguard",
        "app.kubernetes.io/component": "gameday",
        "chaosguard.io/suite": _slug(suite.name, 63),
    }
    targets = list(dict.fromkeys(target_namespaces or [namespace]))
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
        }
    ]
    for target in targets:
        meta = {"name": name, "namespace": target, "labels": labels}
        docs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": meta,
                "rules": [dict(r) for r in ROLE_RULES],
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
