"""Waiting for the suite SLOs between experiments: bounded, fail closed, ``settle_s`` continuous."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosguard.gameday.recovery import wait_until_healthy
from chaosguard.slo.spec import PythonGuard

GUARD = PythonGuard(name="value", source="python", func="tests.guard_values:read_value", max=10)


class Script:
    """A fake clock whose sleeps write the next scripted value of the guard."""

    def __init__(self, path: Path, values: list[str | None]) -> None:
        self.path, self.values, self.now = path, list(values), 0.0
        self._write(self.values.pop(0))

    def _write(self, value: str | None) -> None:
        if value is None:
            self.path.unlink(missing_ok=True)
        else:
            self.path.write_text(value)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.values:
            self._write(self.values.pop(0))


@pytest.fixture()
def value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "value.txt"
    monkeypatch.setenv("CG_TEST_VALUE_FILE", str(path))
    return path


def wait(script: Script, timeout_s: float = 10, settle_s: float = 0, fail_closed: bool = True):
    return wait_until_healthy(
        [GUARD],
        timeout_s,
        1.0,
        settle_s,
        fail_closed=fail_closed,
        clock=script.clock,
        sleep=script.sleep,
    )


def test_no_guards_is_healthy_at_once() -> None:
    result = wait_until_healthy([], 10, 1)
    assert (
        result.healthy and result.rounds == 0 and result.describe() == "every suite SLO is healthy"
    )


def test_healthy_on_the_first_read(value: Path) -> None:
    result = wait(Script(value, ["1"]))
    assert result.healthy and result.rounds == 1 and result.waited_s == 0


def test_waits_until_healthy(value: Path) -> None:
    result = wait(Script(value, ["50", "40", "5"]))
    assert result.healthy and result.rounds == 3 and result.waited_s == 2.0
    assert result.last[0].value == 5


def test_gives_up_after_the_timeout(value: Path) -> None:
    result = wait(Script(value, ["50"]), timeout_s=3.5)
    assert not result.healthy and result.waited_s == 3.5 and result.rounds == 5
    assert result.describe() == "value: 50"
    assert result.as_dict()["last"][0]["violating"] is True


def test_timeout_zero_reads_once(value: Path) -> None:
    result = wait(Script(value, ["50"]), timeout_s=0)
    assert not result.healthy and result.rounds == 1


def test_settle_needs_continuous_health(value: Path) -> None:
    result = wait(Script(value, ["1", "50", "1", "1", "1", "1"]), settle_s=3)
    assert (
        result.healthy and result.waited_s == 5.0
    )  # healthy from t=2 to t=5, the blip at t=1 reset it


def test_unreadable_fails_closed_unless_the_policy_ignores_it(value: Path) -> None:
    closed = wait(Script(value, [None]), timeout_s=2)
    assert not closed.healthy and "unreadable" in closed.describe()
    assert wait(Script(value, [None]), fail_closed=False).healthy


def test_real_clock_and_sleep(value: Path) -> None:
    value.write_text("1")
    result = wait_until_healthy([GUARD], 1, 0.05)
    assert result.healthy
