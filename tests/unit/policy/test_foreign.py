"""Foreign actions: actions.allow, chaostoolkit-kubernetes arguments, selector implication."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaosguard.errors import InvalidArgument, Refused
from chaosguard.policy import Policy, check_activity, resolve_policy
from chaosguard.policy.selectors import disjoint, implies, parse_selector

SELECTORS = [
    "app=web",
    "app in (web, api)",
    "app!=web",
    "app notin (web, api)",
    "app",
    "!app",
    "tier=critical",
    "tier!=critical",
    "!tier",
    "app=web,tier!=critical",
    "app=api,tier=critical",
    "tier in (critical, gold)",
]
LABEL_SETS = [
    dict(c)
    for n in range(3)
    for c in itertools.combinations(
        [("app", "web"), ("app", "api"), ("tier", "critical"), ("tier", "gold"), ("env", "x")], n
    )
    if len({k for k, _ in c}) == n
]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SELECTORS), st.sampled_from(SELECTORS))
def test_implies_and_disjoint_are_sound(a_text: str, b_text: str) -> None:
    a, b = parse_selector(a_text), parse_selector(b_text)
    if implies(a, b):
        assert all(b.matches(labels) for labels in LABEL_SETS if a.matches(labels))
    if disjoint(a, b):
        assert not any(a.matches(labels) and b.matches(labels) for labels in LABEL_SETS)


def test_implies_and_disjoint_examples() -> None:
    p = parse_selector
    assert implies(p("app=web,tier=gold"), p("app in (web, api)"))
    assert implies(p("app=web"), p("tier!=critical")) is False
    assert implies(p("!tier"), p("tier!=critical"))
    assert disjoint(p("app=web,tier!=critical"), p("tier=critical"))
    assert disjoint(p("!tier"), p("tier in (critical, gold)"))
    assert not disjoint(p("app=web"), p("tier=critical"))


def k8s(func: str, module: str = "chaosk8s.pod.actions", **arguments: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": module, "func": func, "arguments": arguments}
    return {"type": "action", "name": "k", "provider": provider}


def allow(*names: str, **rules: Any) -> Policy:
    return Policy.model_validate({"actions": {"allow": list(names)}, **rules})


def test_namespace_allow_list_and_default_namespace() -> None:
    policy = allow("chaosk8s.pod.actions.terminate_pods", namespaces={"allow": ["demo"]})
    check_activity(policy, k8s("terminate_pods", ns="demo", label_selector="app=web"))
    with pytest.raises(Refused, match=r"namespace 'default' is not in policy namespaces\.allow"):
        check_activity(policy, k8s("terminate_pods", label_selector="app=web"))
    with pytest.raises(Refused, match=r"argument ns"):
        check_activity(policy, k8s("terminate_pods", ns=3))


def test_namespace_is_substituted_before_judging() -> None:
    policy = allow("chaosk8s.pod.actions.terminate_pods", namespaces={"deny": ["kube-system"]})
    act = k8s("terminate_pods", ns="${target}", label_selector="app=web")
    with pytest.raises(Refused, match=r"namespaces\.deny"):
        check_activity(policy, act, {"target": "kube-system"}, {})


def test_label_allow_list_needs_an_implying_selector() -> None:
    policy = allow(
        "chaosk8s.pod.actions.terminate_pods", label_selectors={"allow": ["app in (web, api)"]}
    )
    check_activity(policy, k8s("terminate_pods", ns="demo", label_selector="app=web"))
    with pytest.raises(Refused, match=r"does not guarantee a match of policy label_selectors"):
        check_activity(policy, k8s("terminate_pods", ns="demo", label_selector="tier=gold"))
    with pytest.raises(Refused, match=r"selects every pod of namespace 'demo'"):
        check_activity(policy, k8s("terminate_pods", ns="demo", name_pattern="web-"))
    with pytest.raises(Refused, match=r"label_selector: "):
        check_activity(policy, k8s("terminate_pods", ns="demo", label_selector="(("))


def test_all_without_selector_only_when_the_policy_allows_every_pod() -> None:
    act = k8s("terminate_pods", ns="demo", all=True)
    check_activity(allow("chaosk8s.pod.actions.terminate_pods"), act)
    for rules in (
        {"label_selectors": {"allow": ["app=web"]}},
        {"label_selectors": {"deny": ["tier=critical"]}},
        {"max_targets": {"count": 3}},
        {"max_targets": {"percent": 50}},
    ):
        with pytest.raises(Refused, match=r"label_selectors|max_targets"):
            check_activity(allow("chaosk8s.pod.actions.terminate_pods", **rules), act)


def test_max_targets_for_chaosk8s_pod_actions() -> None:
    policy = allow("chaosk8s.pod.actions.terminate_pods", max_targets={"count": 2})
    check_activity(policy, k8s("terminate_pods", ns="demo", label_selector="app=web", qty=2))
    check_activity(policy, k8s("terminate_pods", ns="demo", label_selector="app=web"))
    with pytest.raises(Refused, match=r"qty=3 exceeds policy max_targets\.count=2"):
        check_activity(policy, k8s("terminate_pods", ns="demo", label_selector="app=web", qty=3))
    with pytest.raises(Refused, match=r"known only when it runs.*max_targets\.count=2"):
        check_activity(
            policy,
            k8s("terminate_pods", ns="demo", label_selector="app=web", mode="percentage", qty=10),
        )
    with pytest.raises(Refused, match=r"qty that is not a whole number"):
        check_activity(policy, k8s("terminate_pods", ns="demo", label_selector="a=b", qty="2"))


def test_deployment_and_node_actions() -> None:
    dep = "chaosk8s.deployment.actions"
    node = "chaosk8s.node.actions"
    policy = allow(f"{dep}.scale_deployment", f"{node}.drain_nodes")
    check_activity(policy, k8s("scale_deployment", dep, name="web", replicas=0, ns="demo"))
    check_activity(policy, k8s("drain_nodes", node, name="n1"))
    strict = allow(
        f"{dep}.scale_deployment",
        f"{node}.drain_nodes",
        namespaces={"deny": ["kube-system"]},
        label_selectors={"deny": ["tier=critical"]},
    )
    with pytest.raises(Refused, match=r"namespaces\.deny"):
        check_activity(strict, k8s("scale_deployment", dep, name="x", replicas=0, ns="kube-system"))
    with pytest.raises(Refused, match=r"selects every pod of namespace 'demo'"):
        check_activity(strict, k8s("scale_deployment", dep, name="x", replicas=0, ns="demo"))
    with pytest.raises(Refused, match=r"disrupts pods of every namespace"):
        check_activity(strict, k8s("drain_nodes", node, name="n1"))
    with pytest.raises(Refused, match=r"hits every pod it selects.*max_targets\.count=1"):
        check_activity(
            allow(f"{dep}.delete_deployment", max_targets={"count": 1}),
            k8s("delete_deployment", dep, name="web", ns="demo", label_selector="app=web"),
        )


def test_resolve_policy_names_an_unreadable_experiment_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHAOSGUARD_POLICY", raising=False)
    with pytest.raises(InvalidArgument, match=r"'experiment\.policy_file': cannot read"):
        resolve_policy(None, {}, str(tmp_path / "missing.yaml"))
    same = tmp_path / "p.yaml"
    same.write_text("max_targets: {count: 2}\n")
    experiment = {
        "controls": [
            {
                "name": "g",
                "provider": {"module": "chaosguard.guard", "arguments": {"policy_file": str(same)}},
            },
            {"name": "o", "provider": {"module": "other", "arguments": {"policy_file": "/nope"}}},
        ]
    }
    assert resolve_policy(str(same), experiment).max_targets.count == 2
