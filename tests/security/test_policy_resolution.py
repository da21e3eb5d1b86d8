"""Issue 9 item 1: the experiment can never loosen the operator's policy (one resolution)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosguard.errors import Refused
from chaosguard.local.processes import ProcessInfo
from chaosguard.policy import Policy, check_processes
from chaosguard.policy.load import resolve_policy

pytestmark = pytest.mark.security

OPERATOR = """
allow_unguarded: false
namespaces: {deny: [kube-system]}
local: {deny_process_patterns: [cg-victim], max_cpu_workers: 2}
actions: {allow: [chaosk8s.pod.actions.terminate_pods]}
guard: {python_modules: [corp.slo], on_window_end: stop}
"""
LOOSE = """
allow_unguarded: true
namespaces: {allow: [kube-system]}
local: {max_cpu_workers: 64, allow_non_loopback_listen: true, max_proxy_connections: 100000}
actions: {allow: [chaosk8s.pod.actions.terminate_pods, os.system, "process:/bin/kill"]}
guard: {python_modules: [os], on_window_end: finish}
journal: {allow_plain_http_auth: true}
"""


def _victim() -> list[ProcessInfo]:
    return [ProcessInfo(pid=4242, name="python", cmdline="python cg-victim")]


@pytest.fixture()
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    operator, loose = tmp_path / "operator.yaml", tmp_path / "loose.yaml"
    operator.write_text(OPERATOR)
    loose.write_text(LOOSE)
    monkeypatch.setenv("CHAOSGUARD_POLICY", str(operator))
    return str(operator), str(loose)


def _experiment(loose: str) -> dict:
    return {
        "title": "t",
        "controls": [
            {
                "name": "chaosguard",
                "provider": {
                    "type": "python",
                    "module": "chaosguard.guard",
                    "arguments": {"policy_file": loose},
                },
            }
        ],
        "extensions": [{"name": "chaosguard", "policy": {"allow_unguarded": True}}],
    }


def _assert_operator_holds(policy: Policy) -> None:
    assert policy.allow_unguarded is False
    assert "kube-system" in policy.namespaces.deny
    assert policy.namespaces.allow == ("kube-system",)  # stricter: allow narrowed, deny kept
    assert policy.local.max_cpu_workers == 2
    assert policy.local.allow_non_loopback_listen is False
    assert policy.local.max_proxy_connections == 512
    assert policy.actions.allow == ("chaosk8s.pod.actions.terminate_pods",)
    assert policy.guard.python_modules == ()
    assert policy.guard.on_window_end == "stop"
    assert policy.journal.allow_plain_http_auth is False
    with pytest.raises(Refused, match=r"local\.deny_process_patterns"):
        check_processes(policy, _victim())


def test_experiment_policy_file_from_env_operator_cannot_loosen(files: tuple[str, str]) -> None:
    _, loose = files
    _assert_operator_holds(resolve_policy(None, _experiment(loose)))


def test_experiment_policy_file_argument_cannot_loosen(files: tuple[str, str]) -> None:
    _, loose = files
    _assert_operator_holds(resolve_policy(None, {"title": "t"}, loose))


def test_explicit_operator_file_wins_over_env(
    files: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator, loose = files
    monkeypatch.setenv("CHAOSGUARD_POLICY", loose)  # a loose env file is not the operator here
    _assert_operator_holds(resolve_policy(operator, _experiment(loose)))


def test_the_extension_block_cannot_loosen_either(files: tuple[str, str]) -> None:
    block = {"policy": {"allow_unguarded": True, "local": {"max_cpu_workers": 99}}}
    experiment = {"title": "t", "extensions": [{"name": "chaosguard", **block}]}
    policy = resolve_policy(None, experiment)
    assert policy.allow_unguarded is False and policy.local.max_cpu_workers == 2
