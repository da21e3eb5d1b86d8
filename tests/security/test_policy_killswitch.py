"""Issue 9 item 8: a file kill switch that cannot be read for any reason but "missing" is on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chaosguard.policy import Policy, kill_switch_state

pytestmark = pytest.mark.security


def _state(path: Path) -> tuple[bool, str]:
    state = kill_switch_state(Policy.model_validate({"kill_switch": {"file": str(path)}}))
    return state.on, state.reason


def test_a_symlink_loop_in_the_path_is_on(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    on, reason = _state(tmp_path / "a" / "stop")
    assert on, reason


def test_a_missing_file_and_a_parent_that_is_a_file_are_off(tmp_path: Path) -> None:
    on, reason = _state(tmp_path / "stop")
    assert not on and f"{tmp_path / 'stop'} does not exist" in reason
    (tmp_path / "plain").write_text("x")
    on, reason = _state(tmp_path / "plain" / "stop")
    assert not on and "does not exist" in reason


def test_a_directory_is_on(tmp_path: Path) -> None:
    (tmp_path / "stop").mkdir()
    on, reason = _state(tmp_path / "stop")
    assert on, reason
