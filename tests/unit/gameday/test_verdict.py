"""Outcome → exit code, and the precedence that gives a suite its exit code: 4 > 2 > 1 > 3 > 0."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaosguard.errors import ExitCode
from chaosguard.gameday.verdict import PRECEDENCE, Verdict, verdict_of, worst
from chaosguard.outcomes import OUTCOMES as JOURNAL_OUTCOMES
from chaosguard.outcomes import Outcome

OUTCOMES = [o.value for o in Outcome]


def test_verdicts_are_the_cli_exit_codes() -> None:
    assert {v.name: int(v) for v in Verdict} == {c.name: int(c) for c in ExitCode}


def test_every_outcome_the_guard_writes_has_an_exit_code() -> None:
    assert set(JOURNAL_OUTCOMES) <= set(OUTCOMES)
    assert {o: int(verdict_of(o)) for o in OUTCOMES} == {
        "met": 0,
        "deviated": 1,
        "aborted": 2,
        "refused": 3,
        "steady-state-unmet": 3,
        "rollback-failed": 4,
        "action-failed": 4,
        "error": 4,
        "skipped": 0,
    }
    assert verdict_of("something new") is Verdict.ERROR


def test_precedence() -> None:
    assert [int(v) for v in PRECEDENCE] == [4, 2, 1, 3, 0]
    assert worst([]) is Verdict.OK
    for a, b in itertools.combinations(PRECEDENCE, 2):  # a comes first: a is worse
        assert worst([a, b]) is a and worst([b, a]) is a


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([0, 0], 0),
        ([0, 3], 3),
        ([3, 1], 1),
        ([1, 2, 3], 2),
        ([2, 4, 0], 4),
        ([3, 3, 0], 3),
    ],
)
def test_examples(codes: list[int], expected: int) -> None:
    assert worst(codes) == expected


@given(st.lists(st.sampled_from(list(Verdict)), max_size=8))
def test_worst_is_one_of_them_and_order_free(verdicts: list[Verdict]) -> None:
    result = worst(verdicts)
    assert result in verdicts or (not verdicts and result is Verdict.OK)
    assert worst(reversed(verdicts)) is result
    assert worst([*verdicts, result]) is result and worst([*verdicts, Verdict.OK]) is result
