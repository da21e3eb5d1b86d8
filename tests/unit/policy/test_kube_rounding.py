"""Target counts of Chaos Mesh modes: ours against a transcription of Chaos Mesh's own code.

``chaos_mesh_count`` transcribes ``FilterObjectsByMode`` and ``RandomFixedIndexes`` of
chaos-mesh/chaos-mesh ``pkg/selector/generic/mode.go`` (commit 2fa92aa): the number of indexes it
returns for ``count`` matching objects (for ``random-max-percent``: the largest over every
percentage it may draw).
"""

from __future__ import annotations

import math

import pytest

from chaosguard.errors import InvalidArgument, Refused
from chaosguard.kube.pods import Pod
from chaosguard.policy import Policy
from chaosguard.policy.kube_blast import check_targets
from chaosguard.policy.kube_plans import ChaosMeshRequest


def _random_fixed_indexes(start: int, end: int, count: int) -> int:
    """len(RandomFixedIndexes(start, end, count))."""
    if end < start:
        return 0
    return end - start if count > end - start else count


def chaos_mesh_count(mode: str, value: str, count: int) -> int:
    if count == 0:
        return 0  # Go: error "cannot generate objects from empty list"
    if mode == "one":
        return 1
    if mode == "all":
        return _random_fixed_indexes(0, count, count + 1)
    num = int(value)  # strconv.Atoi
    if mode == "fixed":
        return _random_fixed_indexes(0, count, min(num, count))
    if mode == "fixed-percent":
        return _random_fixed_indexes(0, count, math.ceil(float(count) * float(num) / 100))
    drawn = [
        _random_fixed_indexes(0, count, math.ceil(float(count) * float(p) / 100))
        for p in range(num + 1)  # getRandomNumber(maxPercentage + 1): [0, max]
    ]
    return max(drawn)


TABLE = [
    (pods, percent)
    for pods in (1, 2, 3, 5, 7, 9, 10, 11, 33, 99, 100, 101, 1000)
    for percent in (1, 9, 10, 25, 33, 34, 50, 66, 67, 99, 100)
]


@pytest.mark.parametrize("mode", ["fixed-percent", "random-max-percent"])
def test_percent_modes_match_chaos_mesh(mode: str) -> None:
    for pods, percent in TABLE:
        request = ChaosMeshRequest(
            namespace="demo", label_selector="app=web", mode=mode, mode_value=str(percent)
        ).check()
        assert request.hit_count(pods) == chaos_mesh_count(mode, str(percent), pods), (
            pods,
            percent,
        )


def test_other_modes_match_chaos_mesh() -> None:
    for pods in (0, 1, 2, 5, 50):
        for mode, value in (("one", ""), ("all", ""), ("fixed", "1"), ("fixed", "3")):
            request = ChaosMeshRequest(
                namespace="demo", label_selector="app=web", mode=mode, mode_value=value
            ).check()
            assert request.hit_count(pods) == chaos_mesh_count(mode, value, pods), (mode, pods)


def _pods(n: int) -> list[Pod]:
    return [
        Pod(name=f"web-{i}", uid=str(i), namespace="demo", labels={"app": "web"}) for i in range(n)
    ]


def test_the_issue_example_five_pods_ten_percent_count_zero() -> None:
    request = ChaosMeshRequest(
        namespace="demo", label_selector="app=web", mode="fixed-percent", mode_value="10"
    ).check()
    hits = request.hit_count(5)
    assert hits == chaos_mesh_count("fixed-percent", "10", 5) == 1
    pods = _pods(5)
    with pytest.raises(Refused, match=r"1 targets exceed policy max_targets\.count=0"):
        check_targets(
            Policy.model_validate({"max_targets": {"count": 0}}), "demo", pods, pods[:hits], 5
        )
    with pytest.raises(Refused, match=r"max_targets\.percent=10"):
        check_targets(
            Policy.model_validate({"max_targets": {"percent": 10}}), "demo", pods, pods[:hits], 5
        )


@pytest.mark.parametrize("value", ["12.5", "1e1", " 5", "-5", "0", "101", "x"])
def test_percent_values_chaos_mesh_would_not_read_are_refused(value: str) -> None:
    request = ChaosMeshRequest(
        namespace="demo", label_selector="app=web", mode="fixed-percent", mode_value=value
    )
    with pytest.raises(InvalidArgument, match="mode_value"):
        request.check()
