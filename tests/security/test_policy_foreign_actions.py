"""Issue 9 item 3: foreign actions (and process probes) are refused unless the operator allows
them; allowed chaostoolkit-kubernetes actions are still judged on their namespace and labels."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from chaosguard.errors import Refused
from chaosguard.policy import Policy, check_activity

pytestmark = pytest.mark.security

K8S_POD = "chaosk8s.pod.actions"


def python(module: str, func: str, kind: str = "action", **arguments: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": module, "func": func, "arguments": arguments}
    return {"type": kind, "name": "x", "provider": provider}


def process(path: str, *args: str, kind: str = "action") -> dict[str, Any]:
    provider = {"type": "process", "path": path, "arguments": list(args)}
    return {"type": kind, "name": "x", "provider": provider}


def test_a_foreign_python_action_is_refused_naming_the_key() -> None:
    act = python(K8S_POD, "terminate_pods", ns="kube-system", all=True)
    with pytest.raises(Refused) as info:
        check_activity(Policy(), act)
    assert str(info.value) == (
        "refused: action 'chaosk8s.pod.actions.terminate_pods' is not allowed by policy "
        'actions.allow (add "chaosk8s.pod.actions.terminate_pods" to allow it)'
    )


def test_a_foreign_process_action_is_refused() -> None:
    with pytest.raises(Refused, match=r"actions\.allow.*process:/"):
        check_activity(Policy(), process("kill", "-STOP", "4242"))


def test_a_process_probe_is_an_action_in_disguise() -> None:
    with pytest.raises(Refused, match=r"actions\.allow"):
        check_activity(Policy(), process("kill", "-STOP", "4242", kind="probe"))


def test_allowed_process_runs() -> None:
    kill = shutil.which("kill")
    assert kill is not None
    policy = Policy.model_validate({"actions": {"allow": [f"process:{kill}"]}})
    check_activity(policy, process("kill", "-0", "1"))
    check_activity(policy, process(kill, "-0", "1", kind="probe"))


def test_allowed_k8s_action_is_judged_on_its_namespace() -> None:
    policy = Policy.model_validate(
        {
            "actions": {"allow": [f"{K8S_POD}.terminate_pods"]},
            "namespaces": {"deny": ["kube-system"]},
        }
    )
    act = python(K8S_POD, "terminate_pods", ns="kube-system", all=True)
    with pytest.raises(Refused, match=r"namespace 'kube-system' is denied by policy namespaces"):
        check_activity(policy, act)
    check_activity(policy, python(K8S_POD, "terminate_pods", ns="demo", label_selector="app=web"))


def test_allowed_k8s_action_with_all_and_no_selector_under_label_rules() -> None:
    policy = Policy.model_validate(
        {
            "actions": {"allow": [f"{K8S_POD}:terminate_pods"]},
            "label_selectors": {"deny": ["tier=critical"]},
        }
    )
    with pytest.raises(Refused, match=r"label_selectors\.deny"):
        check_activity(policy, python(K8S_POD, "terminate_pods", ns="demo", all=True))
    with pytest.raises(Refused, match=r"label_selectors\.deny"):
        check_activity(
            policy, python(K8S_POD, "terminate_pods", ns="demo", label_selector="app=web")
        )
    check_activity(
        policy,
        python(K8S_POD, "terminate_pods", ns="demo", label_selector="app=web,tier!=critical"),
    )


def test_python_and_http_probes_stay_allowed() -> None:
    check_activity(Policy(), python("os", "getpid", kind="probe"))
    check_activity(
        Policy(),
        {"type": "probe", "name": "h", "provider": {"type": "http", "url": "http://127.0.0.1/"}},
    )


def test_internal_chaosguard_functions_are_not_own_actions() -> None:
    with pytest.raises(Refused, match=r"actions\.allow"):
        check_activity(Policy(), python("chaosguard.local.processes", "resolve_processes"))
