"""Blast radius of local faults: process actions' arguments and targets, CPU workers, memory MiB."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chaosguard.errors import Refused
from chaosguard.local.processes import ProcessInfo, resolve_processes
from chaosguard.policy import Policy, check_local, check_processes
from chaosguard.policy.local import split_action_name
from tests.helpers import wait_until

POLICY = Policy.model_validate(
    {
        "local": {
            "max_processes": 2,
            "allow_process_patterns": ["^demo-", "cg-policy-test"],
            "deny_process_patterns": ["postgres", "sshd"],
            "max_cpu_workers": 2,
            "max_memory_mib": 256,
        }
    }
)
PROCESS = "chaosguard.actions.process:signal_processes"


def refused(match: str, action: str, arguments: dict[str, object]) -> None:
    with pytest.raises(Refused, match=match):
        check_local(POLICY, action, arguments)


def test_split_action_name() -> None:
    assert split_action_name("chaosguard.actions.stress:stress_cpu") == (
        "chaosguard.actions.stress",
        "stress_cpu",
    )
    assert split_action_name("chaosguard.actions.stress.stress_cpu") == (
        "chaosguard.actions.stress",
        "stress_cpu",
    )
    assert split_action_name("stress_cpu") == (None, "stress_cpu")


def test_process_arguments() -> None:
    check_local(POLICY, PROCESS, {"name_pattern": "demo-worker", "max_processes": 2})
    check_local(
        POLICY, PROCESS, {"name_pattern": "^demo-worker$"}
    )  # anchors are ignored in the text check
    check_local(
        POLICY, "pause_processes", {"pid_file": "/run/demo.pid"}
    )  # resolved targets judge pid files
    refused(
        r"max_processes=3 exceeds policy local\.max_processes=2",
        PROCESS,
        {"name_pattern": "demo-x", "max_processes": 3},
    )
    refused(
        r"name_pattern 'postgres' matches denied pattern 'postgres'",
        PROCESS,
        {"name_pattern": "postgres"},
    )
    refused(
        r"matches no pattern of policy local\.allow_process_patterns "
        r"\('\^demo-', 'cg-policy-test'\)",
        "chaosguard.actions.process.pause_processes",
        {"name_pattern": "nginx"},
    )


def test_stress_arguments() -> None:
    check_local(POLICY, "chaosguard.actions.stress:stress_cpu", {"workers": 2})
    check_local(POLICY, "stress_cpu", {})  # default: 1 worker
    refused(
        r"^refused: workers=4 exceeds policy local\.max_cpu_workers=2$",
        "stress_cpu",
        {"workers": 4},
    )
    refused(r"mib=1024 exceeds policy local\.max_memory_mib=256", "stress_memory", {"mib": 1024})
    check_local(POLICY, "stress_memory", {"mib": 256})


def test_substitutions_wrong_types_and_other_actions_are_skipped() -> None:
    check_local(POLICY, "stress_memory", {"mib": "${big}"})
    check_local(POLICY, "stress_cpu", {"workers": True})
    check_local(POLICY, PROCESS, {"name_pattern": "${target}", "max_processes": "${n}"})
    check_local(POLICY, "mypkg.actions:stress_cpu", {"workers": 99})  # someone else's function
    check_local(POLICY, "chaosguard.actions.latency:set_latency", {"latency_ms": 10**6})
    check_local(Policy(), "stress_cpu", {"workers": 64})  # no limits by default


def test_processes() -> None:
    check_processes(POLICY, [ProcessInfo(10, "demo-api", "demo-api --port 1")])
    with pytest.raises(Refused, match=r"3 processes exceed policy local\.max_processes=2"):
        check_processes(POLICY, [ProcessInfo(i, "demo-api") for i in range(10, 13)])
    with pytest.raises(Refused, match=r"process 11 \(demo-db\) matches denied pattern 'postgres'"):
        check_processes(POLICY, [ProcessInfo(11, "demo-db", "postgres -D /data")])
    with pytest.raises(Refused, match="matches no pattern"):
        check_processes(POLICY, [ProcessInfo(12, "bash", "bash -l")])


def test_resolve_processes_finds_what_the_action_would_signal() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "cg-policy-test-marker"]
    )
    try:
        assert wait_until(
            lambda: any(
                p.pid == child.pid for p in resolve_processes(name_pattern="cg-policy-test")
            )
        )
        found = resolve_processes(name_pattern="cg-policy-test-marker")
        assert [p.pid for p in found] == [child.pid]
        check_processes(POLICY, found)
        assert resolve_processes(name_pattern="(") == []
        assert resolve_processes(pid_file="/nonexistent/pid") == []
    finally:
        child.kill()
        child.wait()
