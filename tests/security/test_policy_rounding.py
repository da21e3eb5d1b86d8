"""Issue 9 item 9: percent modes count targets exactly as Chaos Mesh does (it rounds up)."""

from __future__ import annotations

import math

import pytest

from chaosguard.errors import Refused
from chaosguard.kube.pods import Pod
from chaosguard.policy import Policy
from chaosguard.policy.kube_blast import check_targets
from chaosguard.policy.kube_plans import ChaosMeshRequest

pytestmark = pytest.mark.security


def test_five_pods_at_ten_percent_hit_one_and_count_zero_refuses() -> None:
    request = ChaosMeshRequest(
        namespace="demo", label_selector="app=web", mode="fixed-percent", mode_value="10"
    ).check()
    assert request.hit_count(5) == 1 == math.ceil(5 * 10 / 100)
    pods = [
        Pod(name=f"web-{i}", uid=str(i), namespace="demo", labels={"app": "web"}) for i in range(5)
    ]
    policy = Policy.model_validate({"max_targets": {"count": 0}})
    with pytest.raises(Refused, match=r"max_targets\.count=0"):
        check_targets(policy, "demo", pods, pods[: request.hit_count(5)], 5)
