"""Schedules: cron expressions checked with croniter, the crontab line, the CronJob + RBAC parsed
back."""

from __future__ import annotations

import shlex
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from chaosguard.errors import InvalidArgument
from chaosguard.gameday.cronjob import (
    ROLE_RULES,
    kubernetes_manifests,
    render_manifests,
    suite_deadline_s,
)
from chaosguard.gameday.schedule import crontab_entry, next_runs, validate_cron
from chaosguard.gameday.suite import Suite

MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture()
def suite(tmp_path: Path) -> Suite:
    (tmp_path / "e.yaml").write_text("title: t\n")
    return Suite.model_validate(
        {
            "name": "Shop weekly!",
            "experiments": ["e.yaml", {"path": "e.yaml", "timeout_s": 100}],
            "guards": [{"name": "g", "source": "python", "func": "m:f", "max": 1}],
            "experiment_timeout_s": 600,
            "recovery": {"timeout_s": 120},
        },
        context={"base": str(tmp_path)},
    )


@pytest.mark.parametrize(
    ("expression", "normalized"),
    [
        ("0 9 * * 1", "0 9 * * 1"),
        ("  0  9 * *   mon-fri ", "0 9 * * mon-fri"),
        ("*/15 * * * *", "*/15 * * * *"),
        ("@daily", "@daily"),
        ("@Weekly", "@weekly"),
        ("30 2 1 jan,jul *", "30 2 1 jan,jul *"),
    ],
)
def test_valid_cron(expression: str, normalized: str) -> None:
    assert validate_cron(expression) == normalized


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("", "expected a cron expression"),
        ("0 9 * *", "expected 5 fields"),
        (
            "0 0 9 * * 1",
            "expected 5 fields",
        ),  # croniter's seconds field: neither cron nor Kubernetes has it
        ("61 9 * * 1", "is not a valid cron expression"),
        ("0 9 * * funday", "is not a valid cron expression"),
        ("H 9 * * 1", "is not a valid cron expression"),
        ("0 9 31 2 *", "never fires"),
        ("@reboot", "unknown macro"),
        ("0 9 * * 1\n* * * * * rm -rf /", "expected a cron expression"),
    ],
)
def test_invalid_cron_is_one_line_naming_the_option(expression: str, problem: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        validate_cron(expression)
    assert (
        info.value.field == "--cron"
        and problem in info.value.problem
        and "\n" not in str(info.value)
    )


def test_next_runs() -> None:
    assert [t.isoformat() for t in next_runs("0 9 * * 1", MONDAY, 2)] == [
        "2026-11-30T09:00:00+00:00",
        "2026-12-07T09:00:00+00:00",
    ]


def test_crontab_entry() -> None:
    text = crontab_entry(
        "0 9 * * 1",
        "/srv/game days/suite.yaml",
        "/srv/repo",
        "/srv/venv/bin/chaos",
        "/var/log/gd%.log",
        env={"PROMETHEUS_URL": "http://p:9090"},
        name="shop weekly",
        now=MONDAY,
    )
    comment, line = text.splitlines()
    assert comment == (
        "# chaosguard game day shop weekly: next runs 2026-11-30 09:00 UTC, "
        "2026-12-07 09:00 UTC, 2026-12-14 09:00 UTC"
    )
    assert line.startswith(
        "0 9 * * 1 mkdir -p /var/log && cd /srv/repo && PROMETHEUS_URL=http://p:9090 flock -n "
    )
    assert "/tmp/chaosguard-gameday-shop-weekly.lock" in line
    command = line[len("0 9 * * 1 ") :]
    assert "%" not in command.replace("\\%", "")  # cron turns a bare % into a newline
    assert shlex.split(command.replace("\\%", "%"))[-6:] == [
        "gameday",
        "run",
        "/srv/game days/suite.yaml",
        ">>",
        "/var/log/gd%.log",
        "2>&1",
    ]
    assert "--no-version-check" in command


def test_crontab_with_a_time_zone() -> None:
    text = crontab_entry(
        "0 9 * * 1", "/s.yaml", "/", "chaos", "/l.log", timezone="Europe/Paris", now=MONDAY
    )
    assert text.splitlines()[1].startswith("CRON_TZ=Europe/Paris")
    assert (
        "next runs 2026-12-07 09:00 CET" in text.splitlines()[0]
    )  # 08:00 UTC is 09:00 in Paris: next week
    with pytest.raises(InvalidArgument, match="'--timezone': unknown time zone 'Mars/Base'"):
        crontab_entry("0 9 * * 1", "/s.yaml", "/", "chaos", "/l.log", timezone="Mars/Base")
    with pytest.raises(InvalidArgument, match="'--env'"):
        crontab_entry("0 9 * * 1", "/s.yaml", "/", "chaos", "/l.log", env={"BAD NAME": "x"})


def test_kubernetes_manifests_parse_back(suite: Suite) -> None:
    docs = kubernetes_manifests(
        suite,
        "0 9 * * 1",
        "chaos",
        "registry.example/shop-gameday:1.2",
        "suites/s.yaml",
        target_namespaces=["shop", "payments", "shop"],
        timezone="Europe/Paris",
        env={"PROMETHEUS_URL": "http://prometheus.monitoring:9090"},
        workdir="/app",
    )
    text = render_manifests(docs, "header line")
    assert text.startswith("# header line\n")
    parsed = list(yaml.safe_load_all(text))
    assert parsed == docs
    assert [(d["kind"], d["metadata"]["namespace"]) for d in parsed] == [
        ("ServiceAccount", "chaos"),
        ("Role", "shop"),
        ("RoleBinding", "shop"),
        ("Role", "payments"),
        ("RoleBinding", "payments"),
        ("CronJob", "chaos"),
    ]
    name = "chaosguard-gameday-shop-weekly"
    assert all(d["metadata"]["name"] == name for d in parsed) and len(name) <= 52
    for binding in (d for d in parsed if d["kind"] == "RoleBinding"):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": name, "namespace": "chaos"}
        ]
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": name,
        }
    role = parsed[1]
    assert role["rules"] == ROLE_RULES
    verbs = {
        (r["apiGroups"][0], res): set(r["verbs"]) for r in role["rules"] for res in r["resources"]
    }
    assert verbs[("", "pods")] == {"get", "list", "delete"} and ("", "configmaps") not in verbs
    assert verbs[("chaos-mesh.org", "networkchaos")] == {"get", "list", "create", "delete"}
    assert not any("*" in r["verbs"] or "*" in r["resources"] for r in role["rules"])
    cron = parsed[-1]["spec"]
    assert cron["schedule"] == "0 9 * * 1" and cron["timeZone"] == "Europe/Paris"
    assert cron["concurrencyPolicy"] == "Forbid"
    job = cron["jobTemplate"]["spec"]
    assert (
        job["backoffLimit"] == 0
        and job["activeDeadlineSeconds"] == suite_deadline_s(suite) == 600 + 100 + 120 + 300
    )
    pod = job["template"]["spec"]
    assert pod["serviceAccountName"] == name and pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    assert (
        container["image"] == "registry.example/shop-gameday:1.2"
        and container["workingDir"] == "/app"
    )
    assert container["command"][:6] == [
        "chaos",
        "--no-version-check",
        "--no-log-file",
        "gameday",
        "run",
        "suites/s.yaml",
    ]
    assert {"name": "PROMETHEUS_URL", "value": "http://prometheus.monitoring:9090"} in container[
        "env"
    ]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/var/lib/chaosguard", "/tmp"} <= mounts
    assert any(
        e == {"name": "CHAOSGUARD_HOME", "value": "/var/lib/chaosguard"} for e in container["env"]
    )
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }
    assert "envFrom" not in container


def test_kubernetes_defaults_and_pvc(suite: Suite) -> None:
    docs = kubernetes_manifests(
        suite, "@daily", "chaos", "img:1", "s.yaml", output_pvc="gameday-reports"
    )
    assert [d["kind"] for d in docs] == ["ServiceAccount", "Role", "RoleBinding", "CronJob"]
    assert docs[1]["metadata"]["namespace"] == "chaos"
    spec = docs[-1]["spec"]
    assert "timeZone" not in spec
    volumes = {v["name"]: v for v in spec["jobTemplate"]["spec"]["template"]["spec"]["volumes"]}
    assert volumes["output"]["persistentVolumeClaim"] == {"claimName": "gameday-reports"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"namespace": "Bad_NS"}, "--namespace"),
        ({"target_namespaces": ["ok", "-bad"]}, "--target-namespace"),
        ({"image": "has space:1"}, "--image"),
        ({"image": ""}, "--image"),
        ({"output_pvc": "UPPER"}, "--output-pvc"),
        ({"timezone": "Nowhere/City"}, "--timezone"),
        ({"cron": "every monday"}, "--cron"),
        ({"env_from_secrets": ["Bad_Name"]}, "--env-from-secret"),
        ({"resources": {"cpu_request": "lots"}}, "--cpu-request"),
        ({"resources": {"memory_limit": "1 Gi"}}, "--memory-limit"),
        ({"resources": {"memory_request": "2Gi", "memory_limit": "1Gi"}}, "--memory-request"),
        ({"resources": {"cpu_request": "0"}}, "--cpu-request"),
        ({"kill_switch_configmaps": [("Bad", "ks")]}, "kill_switch.configmap"),
        ({"kill_switch_configmaps": [("ops", "Bad_Name")]}, "kill_switch.configmap"),
        ({"env": {"DB_PASSWORD": "x"}}, "--env"),
    ],
)
def test_kubernetes_bad_input(suite: Suite, kwargs: dict, field: str) -> None:
    args = {
        "cron": "0 9 * * 1",
        "namespace": "chaos",
        "image": "img:1",
        "suite_path": "s.yaml",
        **kwargs,
    }
    with pytest.raises(InvalidArgument) as info:
        kubernetes_manifests(suite, **args)
    assert info.value.field == field
