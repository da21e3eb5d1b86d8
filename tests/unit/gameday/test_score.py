"""The resilience score: the documented formula, and its properties (property-tested)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaosguard.gameday.score import ABORT_COST, EXCLUDED, canary_factor, resilience_score

OUTCOMES = [
    "met",
    "deviated",
    "aborted",
    "refused",
    "steady-state-unmet",
    "action-failed",
    "error",
    "skipped",
]
#: Better outcomes rank higher; excluded outcomes are not on this ladder.
LADDER = {"aborted": 0, "deviated": 1, "action-failed": 1, "error": 1, "met": 2}

results = st.lists(st.tuples(st.sampled_from(OUTCOMES), st.floats(0.01, 100)), max_size=12)


@pytest.mark.parametrize(
    ("items", "score"),
    [
        ([], None),
        ([("refused", 1), ("skipped", 3), ("steady-state-unmet", 1)], None),
        ([("met", 1)], 100.0),
        ([("met", 1), ("deviated", 1)], 50.0),
        ([("met", 1), ("aborted", 1)], 100 / 3),  # an abort costs twice its weight
        ([("met", 2), ("deviated", 1), ("aborted", 1), ("refused", 5)], 40.0),  # 2 / (2 + 1 + 2)
        ([("met", 1), ("error", 1), ("action-failed", 2)], 25.0),
        ([("deviated", 1), ("aborted", 1)], 0.0),
    ],
)
def test_formula(items: list[tuple[str, float]], score: float | None) -> None:
    got = resilience_score(items)
    assert got == (None if score is None else pytest.approx(score))
    assert ABORT_COST == 2.0


@given(results)
def test_bounded(items: list[tuple[str, float]]) -> None:
    score = resilience_score(items)
    judged = [o for o, _ in items if o not in EXCLUDED]
    assert (score is None) == (not judged)
    if score is not None:
        assert 0.0 <= score <= 100.0
        if all(o == "met" for o in judged):
            assert score == pytest.approx(100.0)
        if "met" not in judged:
            assert score == 0.0


@given(results, st.data())
def test_improving_one_experiment_never_lowers_the_score(
    items: list[tuple[str, float]], data: st.DataObject
) -> None:
    ladder = [i for i, (o, _) in enumerate(items) if o in LADDER]
    if not ladder:
        return
    i = data.draw(st.sampled_from(ladder))
    better = data.draw(
        st.sampled_from([o for o, rank in LADDER.items() if rank >= LADDER[items[i][0]]])
    )
    improved = list(items)
    improved[i] = (better, items[i][1])
    assert resilience_score(improved) >= resilience_score(items) - 1e-9  # type: ignore[operator]


@given(results, st.sampled_from(sorted(EXCLUDED)), st.floats(0.01, 100))
def test_excluded_outcomes_change_nothing(
    items: list[tuple[str, float]], outcome: str, weight: float
) -> None:
    before, after = resilience_score(items), resilience_score([*items, (outcome, weight)])
    assert before == after or before == pytest.approx(after)


@given(results, st.floats(0.01, 100))
def test_adding_a_met_experiment_never_lowers_the_score(
    items: list[tuple[str, float]], weight: float
) -> None:
    before = resilience_score(items)
    after = resilience_score([*items, ("met", weight)])
    assert after is not None and (before is None or after >= before - 1e-9)


@given(results, st.floats(0.1, 10))
def test_scaling_every_weight_changes_nothing(
    items: list[tuple[str, float]], factor: float
) -> None:
    before = resilience_score(items)
    after = resilience_score([(o, w * factor) for o, w in items])
    assert before == after or before == pytest.approx(after)


@given(results, st.randoms())
def test_order_does_not_matter(items: list[tuple[str, float]], rnd: object) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    got, want = resilience_score(shuffled), resilience_score(items)
    assert got == want or (got is not None and want is not None and got == pytest.approx(want))


# -- the canary score folded in --
canaries = st.one_of(st.none(), st.floats(0, 100))
with_canary = st.lists(
    st.tuples(st.sampled_from(OUTCOMES), st.floats(0.01, 100), canaries), max_size=12
)


@pytest.mark.parametrize(
    ("items", "score"),
    [
        ([("met", 1, 100.0)], 100.0),
        ([("met", 1, 0.0)], 50.0),  # every guard moved under the fault: half the weight
        ([("met", 1, 50.0)], 75.0),
        ([("met", 1, None)], 100.0),  # nothing compared: the outcome stands
        ([("met", 1, 0.0), ("deviated", 1, 100.0)], 25.0),  # canary of a failed run: nothing
        ([("met", 3, 100.0), ("aborted", 1, None)], 60.0),  # 3 / (3 + 2)
        ([("met", 1, 100.0), ("met", 1)], 100.0),  # both forms mix
    ],
)
def test_formula_with_canary(items: list[Any], score: float) -> None:
    assert resilience_score(items) == pytest.approx(score)


def test_canary_factor() -> None:
    assert canary_factor(None) == 1.0 and canary_factor(float("nan")) == 1.0
    assert (canary_factor(0), canary_factor(100), canary_factor(250)) == (0.5, 1.0, 1.0)
    assert canary_factor(-5) == 0.5


@given(with_canary, st.data())
def test_a_better_canary_never_lowers_the_score(items: list[Any], data: st.DataObject) -> None:
    if not items:
        return
    i = data.draw(st.integers(0, len(items) - 1))
    outcome, weight, canary = items[i]
    better = data.draw(st.floats(canary if canary is not None else 0.0, 100))
    improved = list(items)
    improved[i] = (outcome, weight, better)
    before, after = resilience_score(items), resilience_score(improved)
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        if canary is None:  # from "none" to a figure may cost up to half of that run's weight
            return
        assert after >= before - 1e-9


@given(with_canary)
def test_bounded_with_canary(items: list[Any]) -> None:
    score = resilience_score(items)
    if score is not None:
        assert 0.0 <= score <= 100.0
        judged = [o for o, _, _ in items if o not in EXCLUDED]
        if "met" not in judged:
            assert score == 0.0
