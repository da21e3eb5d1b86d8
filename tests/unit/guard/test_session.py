"""The session's phases: one enum, its transitions in one table, illegal moves refused, logged."""

from __future__ import annotations

import logging

import pytest

from chaosguard.guard.session import TRANSITIONS, GuardSession, Phase

P = Phase


def test_the_phases_and_what_they_print() -> None:
    assert [p.value for p in Phase] == [
        "configured",
        "preflight",
        "baseline",
        "watching",
        "method",
        "rollbacks",
        "ended",
        "finished",
    ]
    assert f"{P.METHOD}" == "method" and P("rollbacks") is P.ROLLBACKS
    assert [p for p in Phase if p.watched] == [P.WATCHING, P.METHOD, P.ROLLBACKS]
    assert [p for p in Phase if p.interruptible] == [P.WATCHING, P.METHOD]
    assert [p for p in Phase if p.shown] == [P.BASELINE, P.WATCHING, P.METHOD, P.ROLLBACKS]


def test_the_transition_table() -> None:
    assert set(TRANSITIONS) == set(Phase)
    assert TRANSITIONS[P.FINISHED] == frozenset()
    assert all(p not in TRANSITIONS[p] for p in Phase)  # staying put is not a transition
    reached, todo = {P.CONFIGURED}, [P.CONFIGURED]
    while todo:
        for nxt in TRANSITIONS[todo.pop()] - reached:
            reached.add(nxt)
            todo.append(nxt)
    assert reached == set(Phase)
    assert all(P.ENDED in TRANSITIONS[p] for p in Phase if p not in (P.ENDED, P.FINISHED))
    assert {p for p in Phase if P.FINISHED in TRANSITIONS[p]} == {P.ENDED}


def test_a_whole_run_moves_forward() -> None:
    session = GuardSession()
    assert session.phase is P.CONFIGURED
    for phase in (P.PREFLIGHT, P.WATCHING, P.METHOD, P.ROLLBACKS, P.ENDED, P.ENDED, P.FINISHED):
        assert session.enter(phase) is True
        assert session.phase is phase


def test_a_run_with_anomaly_guards_learns_its_baseline_between_preflight_and_watching() -> None:
    session = GuardSession()
    for phase in (P.PREFLIGHT, P.BASELINE, P.WATCHING, P.METHOD):
        assert session.enter(phase) is True
    assert TRANSITIONS[P.BASELINE] == {P.WATCHING, P.ENDED}  # a refused baseline ends the run
    assert P.BASELINE not in TRANSITIONS[P.WATCHING]  # never learned once the run is watched


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], P.METHOD),
        ([P.PREFLIGHT], P.METHOD),
        ([P.PREFLIGHT, P.BASELINE], P.METHOD),
        ([P.PREFLIGHT, P.WATCHING], P.BASELINE),
        ([P.PREFLIGHT, P.WATCHING, P.METHOD], P.WATCHING),
        ([P.PREFLIGHT, P.WATCHING, P.ROLLBACKS], P.METHOD),
        ([P.ENDED], P.PREFLIGHT),
        ([P.ENDED, P.FINISHED], P.ENDED),
        ([], P.FINISHED),
    ],
)
def test_an_illegal_move_is_refused_and_logged_never_raised(
    path: list[Phase], illegal: Phase, caplog: pytest.LogCaptureFixture
) -> None:
    session = GuardSession()
    for phase in path:
        assert session.enter(phase)
    before = session.phase
    with caplog.at_level(logging.ERROR, logger="chaostoolkit"):
        assert session.enter(illegal) is False
    assert session.phase is before
    assert [r.getMessage() for r in caplog.records] == [
        f"chaosguard: illegal phase change {before} -> {illegal} refused (a bug: please report it)"
    ]


def test_the_phase_is_read_only() -> None:
    session = GuardSession()
    with pytest.raises(AttributeError):
        session.phase = P.METHOD  # type: ignore[misc]
    assert session.phase is P.CONFIGURED


def test_reached_follows_a_watched_run_into_its_method_then_its_rollbacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = GuardSession()
    with caplog.at_level(logging.ERROR, logger="chaostoolkit"):
        session.reached("method")  # not watching (configured only): stays
        assert session.phase is P.CONFIGURED
        session.enter(P.PREFLIGHT)
        session.enter(P.WATCHING)
        for section, phase in [
            ("hypothesis", P.WATCHING),
            ("unknown", P.WATCHING),
            ("method", P.METHOD),
            ("method", P.METHOD),
            ("hypothesis", P.METHOD),  # the hypothesis after the method
            ("rollbacks", P.ROLLBACKS),
            ("method", P.ROLLBACKS),
            ("rollbacks", P.ROLLBACKS),
        ]:
            session.reached(section)
            assert session.phase is phase, section
        session.stop()
        assert session.phase is P.ENDED
        session.reached("rollbacks")  # the rollbacks the guard plays after an abort
        assert session.phase is P.ENDED
    assert caplog.records == []


def test_rollbacks_straight_after_the_hypothesis() -> None:
    session = GuardSession()
    session.enter(P.PREFLIGHT)
    session.enter(P.WATCHING)
    session.reached("rollbacks")  # an interrupted method: Chaos Toolkit went on to the rollbacks
    assert session.phase is P.ROLLBACKS


def test_stop_before_anything_ran_ends_the_session() -> None:
    session = GuardSession()
    assert session.stop() == []
    assert session.phase is P.ENDED
    assert session.stop() == [] and session.phase is P.ENDED
