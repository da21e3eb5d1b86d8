"""Windows and freezes watched during the run: a breach when a freeze starts or the window ends."""

from __future__ import annotations

from datetime import UTC, datetime

from chaosguard.guard.calendar import CALENDAR, calendar_check, calendar_watched
from chaosguard.policy.model import Policy


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def _policy(**doc: object) -> Policy:
    return Policy.model_validate(doc)


def test_the_end_of_the_window_breaches() -> None:
    now = [_at("2026-11-30T16:59:59")]  # a Monday
    policy = _policy(windows=[{"days": ["mon"], "start": "09:00", "end": "17:00"}])
    check = calendar_check(policy, clock=lambda: now[0])
    assert check.name == CALENDAR and calendar_watched(policy)
    assert not check.read(1.0).breached
    now[0] = _at("2026-11-30T17:00:01")
    reading = check.read(1.0)
    assert reading.value == 1 and reading.breached
    assert check.source.last_reason.startswith("time window ended")  # type: ignore[attr-defined]


def test_a_freeze_starting_during_the_run_breaches() -> None:
    now = [_at("2026-12-20T11:59:00")]
    policy = _policy(
        freeze=[{"start": "2026-12-20T12:00:00", "end": "2027-01-02", "reason": "xmas"}]
    )
    check = calendar_check(policy, clock=lambda: now[0])
    assert not check.read(1.0).breached
    now[0] = _at("2026-12-20T12:00:30")
    assert check.read(1.0).breached
    assert "freeze reached" in check.source.last_reason  # type: ignore[attr-defined]


def test_what_is_watched() -> None:
    assert not calendar_watched(Policy())  # no windows, no freezes: nothing to watch
    freeze = [{"start": "2026-12-20", "end": "2027-01-02"}]
    assert calendar_watched(_policy(freeze=freeze))
    finish = _policy(freeze=freeze, guard={"on_window_end": "finish"})
    assert not calendar_watched(finish)
