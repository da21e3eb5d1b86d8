"""The runner's scheduling-group share, which a stress is given back before it is stopped."""

import os
from pathlib import Path

import pytest

from chaosguard.faults.stress import _oslib


@pytest.fixture
def sysctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "sched_autogroup_enabled"
    monkeypatch.setattr(_oslib, "AUTOGROUP_SYSCTL", str(path))
    return path


def test_own_session_reads_its_autogroup(sysctl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sysctl.write_text("1\n")
    monkeypatch.setattr(_oslib, "autogroup_nice", lambda pid="self": 7)
    assert _oslib.group_nice() == 7


def test_root_group_is_the_tasks_own_nice(sysctl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A runner that never left init's session (CI in a container) has no autogroup to read:
    /proc/self/autogroup is empty. Its tasks compete one by one, at their own nice."""
    sysctl.write_text("1\n")
    monkeypatch.setattr(_oslib, "autogroup_nice", lambda pid="self": None)
    assert _oslib.group_nice() == os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.parametrize("content", ["0\n", None])
def test_no_autogroups(sysctl: Path, content: str | None) -> None:
    if content is not None:
        sysctl.write_text(content)
    assert _oslib.group_nice() is None


def test_autogroup_nice_parses_the_proc_line(tmp_path: Path) -> None:
    """The real file of this process: either ``/autogroup-N nice V`` or empty (root group)."""
    value = _oslib.autogroup_nice()
    text = Path("/proc/self/autogroup").read_text() if Path("/proc/self/autogroup").exists() else ""
    assert value == (int(text.split()[-1]) if text.strip() else None)
