"""The publishing control: publishes unguarded runs, stays out of the way while the guard runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosguard.journal import control
from chaosguard.journal.publish import set_guard_publishes
from tests.unit.journal.samples import plain_journal


def _settings(root: Path) -> dict:
    return {"chaosguard": {"publishers": [{"type": "directory", "root": str(root)}]}}


def test_publishes_when_no_guard_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    control.after_experiment_control({}, state=plain_journal(), settings=_settings(tmp_path))
    assert len(list(tmp_path.glob("*/journal.json"))) == 1


def test_does_nothing_when_the_guard_session_is_active(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_guard_publishes(True)
    control.after_experiment_control(
        {}, state=plain_journal(), settings=_settings(tmp_path / "runs")
    )
    assert not (tmp_path / "runs").exists()
    set_guard_publishes(False)
    control.after_experiment_control(
        {}, state=plain_journal(), settings=_settings(tmp_path / "runs")
    )
    assert len(list((tmp_path / "runs").glob("*/journal.json"))) == 1


def test_never_raises(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("publisher bug")

    monkeypatch.setattr("chaosguard.journal.publish.publish_journal", boom)
    control.after_experiment_control({}, state=plain_journal(), settings={})
    assert "publishing the journal failed" in caplog.text
    control.after_experiment_control({}, state=None)
