"""``chaos gameday schedule``: a crontab line, or a Kubernetes CronJob with least-privilege RBAC.

Registered on the ``chaos gameday`` group by :mod:`chaosguard.cli.gameday`; the rendering lives in
:mod:`chaosguard.gameday.schedule` (cron) and :mod:`chaosguard.gameday.cronjob` (Kubernetes). Exit
0, or 4 on invalid input (one ``Error: ...`` line).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from chaosguard.cli.boundary import Command
from chaosguard.errors import InvalidArgument

__all__ = ["schedule"]


def _env_pairs(pairs: tuple[str, ...]) -> dict[str, str]:

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidArgument("--env", f"expected NAME=VALUE (got {pair!r})")
        out[key] = value
    return out


@click.command("schedule", cls=Command)
@click.argument("suite_file", metavar="SUITE.yaml")
@click.option(
    "--cron",
    required=True,
    metavar="EXPR",
    help="When: a 5-field cron expression, e.g. '0 9 * * 1' (Mondays 09:00), or @daily.",
)
@click.option(
    "--kubernetes",
    is_flag=True,
    help="Print a CronJob + ServiceAccount/Role/RoleBinding instead of a crontab line.",
)
@click.option(
    "--namespace", default="chaosguard", show_default=True, help="Namespace of the CronJob."
)
@click.option(
    "--image",
    default=None,
    metavar="IMAGE",
    help="Container image with chaosguard and the suite (required with --kubernetes).",
)
@click.option(
    "--target-namespace",
    "targets",
    multiple=True,
    metavar="NS",
    help="Namespace the experiments act on (repeat; default: --namespace). One Role each.",
)
@click.option(
    "--suite-path",
    default=None,
    metavar="PATH",
    help="Path of the suite inside the image (default: SUITE.yaml as given).",
)
@click.option(
    "--workdir",
    default=None,
    metavar="DIR",
    help="Working directory (crontab default: the current one; CronJob: the image's).",
)
@click.option(
    "--timezone",
    default=None,
    metavar="TZ",
    help="Time zone of the schedule (CronJob timeZone; CRON_TZ for cronie).",
)
@click.option(
    "--env",
    "env_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Environment variable for the game day (repeat), e.g. what the suite's ${...} use. "
    "With --kubernetes a value that looks secret is refused: use --env-from-secret.",
)
@click.option(
    "--env-from-secret",
    "env_secrets",
    multiple=True,
    metavar="SECRET",
    help="--kubernetes: a Secret whose keys become environment variables (envFrom; repeat).",
)
@click.option("--cpu-request", default=None, metavar="Q", help="--kubernetes: default 100m.")
@click.option("--cpu-limit", default=None, metavar="Q", help="--kubernetes: default 1.")
@click.option("--memory-request", default=None, metavar="Q", help="--kubernetes: default 256Mi.")
@click.option("--memory-limit", default=None, metavar="Q", help="--kubernetes: default 1Gi.")
@click.option(
    "--output-pvc",
    default=None,
    metavar="CLAIM",
    help="PersistentVolumeClaim for the reports (default: an emptyDir, gone with the pod).",
)
@click.option(
    "--log-file",
    default=None,
    metavar="FILE",
    help="crontab: where the output goes (default: runs/<suite>-cron.log).",
)
def schedule(
    suite_file: str,
    cron: str,
    kubernetes: bool,
    namespace: str,
    image: str | None,
    targets: tuple[str, ...],
    suite_path: str | None,
    workdir: str | None,
    timezone: str | None,
    env_pairs: tuple[str, ...],
    output_pvc: str | None,
    log_file: str | None,
    env_secrets: tuple[str, ...],
    cpu_request: str | None,
    cpu_limit: str | None,
    memory_request: str | None,
    memory_limit: str | None,
) -> None:
    """Print a crontab line (default) or Kubernetes manifests (--kubernetes) that run SUITE.yaml
    on a schedule. The suite is validated first; variables (${...}) may stay unset here. The
    CronJob's Role reads no Secret and only the policy's kill-switch ConfigMaps; an image without
    a digest is accepted with a warning on stderr."""
    kube_only = {
        "env_from_secrets": env_secrets,
        "resources": {
            "cpu_request": cpu_request,
            "cpu_limit": cpu_limit,
            "memory_request": memory_request,
            "memory_limit": memory_limit,
        },
    }
    _schedule(
        suite_file,
        cron,
        kubernetes,
        namespace,
        image,
        targets,
        suite_path,
        workdir,
        timezone,
        _env_pairs(env_pairs),
        output_pvc,
        log_file,
        kube_only,
    )


def _schedule(
    suite_file: str,
    cron: str,
    kubernetes: bool,
    namespace: str,
    image: str | None,
    targets: tuple[str, ...],
    suite_path: str | None,
    workdir: str | None,
    timezone: str | None,
    env: dict[str, str],
    output_pvc: str | None,
    log_file: str | None,
    kube_only: dict[str, Any],
) -> None:
    from chaosguard.gameday.cronjob import digest_warning, kubernetes_manifests, render_manifests
    from chaosguard.gameday.launch import chaos_executable
    from chaosguard.gameday.schedule import crontab_entry, validate_cron
    from chaosguard.gameday.suite import load_suite

    validate_cron(cron)
    plan = load_suite(suite_file, check=False, strict_env=False)
    suite = plan.suite
    if kubernetes:
        if not image:
            raise InvalidArgument("--image", "required with --kubernetes")
        docs = kubernetes_manifests(
            suite,
            cron,
            namespace,
            image,
            suite_path or suite_file,
            targets,
            timezone,
            env,
            workdir,
            output_pvc,
            kill_switch_configmaps=[
                (c.namespace, c.name) for c in plan.policy.kill_switch.configmap
            ],
            **kube_only,
        )
        header = f"chaosguard game day '{suite.name}' on '{cron}': kubectl apply -f <this file>"
        warning = digest_warning(image)
        if warning:
            click.echo(warning, err=True)
            header += "\n" + warning
        click.echo(render_manifests(docs, header), nl=False)
        return
    cwd = Path(workdir or os.getcwd()).resolve()
    log = Path(log_file) if log_file else cwd / "runs" / f"{Path(suite_file).stem}-cron.log"
    click.echo(
        crontab_entry(
            cron,
            str(Path(suite_file).resolve()),
            str(cwd),
            chaos_executable(),
            str(log.resolve()),
            env,
            timezone,
            suite.name,
        ),
        nl=False,
    )
