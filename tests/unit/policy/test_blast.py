"""Blast radius of Kubernetes faults: namespaces, label selectors, max targets, PDBs."""

from __future__ import annotations

import pytest

from chaosguard.errors import InvalidArgument, Refused
from chaosguard.kube.pdb import PdbBudget
from chaosguard.policy import Policy, Target, check_blast_radius, check_pdb

POLICY = Policy.model_validate(
    {
        "namespaces": {"allow": ["demo", "team-a"], "deny": ["kube-system"]},
        "label_selectors": {"allow": ["app in (web, api)"], "deny": ["tier=critical"]},
        "max_targets": {"count": 3, "percent": 50},
    }
)


def pods(n: int, namespace: str = "demo", **labels: str) -> list[Target]:
    return [Target(f"web-{i}", namespace, {"app": "web", **labels}) for i in range(n)]


def refused(message: str, *args: object) -> None:
    with pytest.raises(Refused) as info:
        check_blast_radius(POLICY, *args)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_within_limits_passes() -> None:
    check_blast_radius(POLICY, pods(2), 4, "demo")
    check_blast_radius(POLICY, [], 0, "demo")
    check_blast_radius(Policy(), pods(100), 100, "anything")  # the defaults limit nothing here


def test_count() -> None:
    refused("refused: 5 targets exceed policy max_targets.count=3", pods(5), 20, "demo")


def test_percent() -> None:
    refused(
        "refused: 3 of 5 matching targets (60.0 %) exceed policy max_targets.percent=50",
        pods(3),
        5,
        "demo",
    )
    check_blast_radius(POLICY, pods(2), 4, "demo")  # exactly 50 % is allowed


def test_namespaces() -> None:
    refused(
        "refused: namespace 'kube-system' is denied by policy namespaces.deny", [], 0, "kube-system"
    )
    refused(
        "refused: namespace 'prod' is not in policy namespaces.allow (demo, team-a)", [], 0, "prod"
    )
    refused(
        "refused: namespace 'prod' is not in policy namespaces.allow (demo, team-a)",
        pods(1, namespace="prod"),
        1,
        None,
    )


def test_selectors() -> None:
    refused(
        "refused: pod 'demo/web-0' matches denied selector 'tier=critical' "
        "(policy label_selectors.deny)",
        pods(1, tier="critical"),
        2,
        "demo",
    )
    refused(
        "refused: pod 'demo/db-0' matches no selector of policy label_selectors.allow "
        "('app in (web, api)')",
        [Target("db-0", "demo", {"app": "db"})],
        2,
        "demo",
    )


def test_total_smaller_than_targets_is_a_caller_error() -> None:
    with pytest.raises(InvalidArgument, match="total_matching"):
        check_blast_radius(POLICY, pods(2), 1, "demo")


def test_pdb() -> None:
    budgets = [PdbBudget("web", "demo", disruptions_allowed=1, targets=1)]
    check_pdb(POLICY, budgets)
    tight = [PdbBudget("web", "demo", disruptions_allowed=1, targets=2)]
    with pytest.raises(
        Refused, match=r"PodDisruptionBudget 'demo/web' which allows 1 disruption\(s\) now"
    ):
        check_pdb(POLICY, tight)
    check_pdb(Policy.model_validate({"respect_pdb": False}), tight)
