"""The reading rate limit: one healthy reading per guard per second, every interesting one."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from chaosguard import telemetry
from chaosguard.telemetry.ratelimit import MIN_GAP_S, ReadingLimiter


def _healthy(guard: str = "g") -> dict:
    return {"guard": guard, "value": 1.0, "violating": False, "breached": False, "error": None}


def test_healthy_readings_at_most_one_per_guard_per_second() -> None:
    limiter = ReadingLimiter()
    kept = [t for t in (0.0, 0.2, 0.4, 0.9, 1.0, 1.5, 2.1) if limiter.allow(_healthy(), t)]
    assert kept == [0.0, 1.0, 2.1]


def test_guards_are_limited_separately() -> None:
    limiter = ReadingLimiter()
    assert limiter.allow(_healthy("a"), 0.0) and limiter.allow(_healthy("b"), 0.1)
    assert not limiter.allow(_healthy("a"), 0.5)


def test_every_interesting_reading_and_the_recovery_are_kept() -> None:
    limiter = ReadingLimiter()
    assert limiter.allow(_healthy(), 0.0)
    for t, bad in [(0.1, "violating"), (0.2, "breached"), (0.3, "anomalous")]:
        assert limiter.allow({**_healthy(), bad: True}, t)
    assert limiter.allow({**_healthy(), "value": None, "error": "timeout"}, 0.4)
    assert limiter.allow(_healthy(), 0.5)  # first healthy one after: the recovery shows
    assert not limiter.allow(_healthy(), 0.6)


@given(st.lists(st.tuples(st.floats(0, 0.5), st.booleans()), max_size=60))
def test_the_rule_holds_for_any_sequence(steps: list[tuple[float, bool]]) -> None:
    limiter = ReadingLimiter()
    now = 0.0
    last_kept: tuple[float, bool] | None = None  # (when, was interesting)
    for gap, violating in steps:
        now += gap
        kept = limiter.allow({**_healthy(), "violating": violating}, now)
        if violating:
            assert kept  # every interesting reading
        elif last_kept is None or last_kept[1]:
            assert kept  # the first one, and the recovery after an interesting one
        else:
            assert kept == (now - last_kept[0] >= MIN_GAP_S)  # else one a second at most
        if kept:
            last_kept = (now, violating)


def test_emit_applies_the_limit(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "events.ndjson"
    monkeypatch.setenv("CHAOSGUARD_EVENTS", str(path))
    for _ in range(5):
        telemetry.emit("reading", **_healthy())
    telemetry.emit("run-start", run_id="r2")  # preflight readings come before it: no fresh start
    telemetry.emit("reading", **_healthy())
    telemetry.emit("reading", **{**_healthy(), "violating": True, "value": 50.0})
    telemetry.flush()
    kinds = [(e["kind"], e.get("value")) for e in map(json.loads, path.read_text().splitlines())]
    assert kinds == [("reading", 1.0), ("run-start", None), ("reading", 50.0)]
