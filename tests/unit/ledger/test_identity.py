"""Process identity: the start times read from /proc are psutil's, to the bit; zombies and dead
pids are not alive; without a usable /proc, psutil answers the same."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from chaosguard.ledger import identity


def _pids() -> list[int]:
    return [os.getpid(), os.getppid(), 1]


def test_start_times_are_psutils() -> None:
    for pid in _pids():
        assert identity.process_start_time(pid) == psutil.Process(pid).create_time(), pid
        assert identity.is_alive(pid, psutil.Process(pid).create_time())
    pid, start = identity.self_identity()
    assert pid == os.getpid() and start == psutil.Process().create_time()


def test_a_child_is_alive_then_zombie_then_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        start = identity.process_start_time(child.pid)
        assert start == psutil.Process(child.pid).create_time()
        assert identity.is_alive(child.pid, start)
        assert identity.is_alive(child.pid, None)
        assert not identity.is_alive(child.pid, start + 1.0)  # a reused pid is another process
        child.kill()
        deadline = time.monotonic() + 10
        while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert not identity.is_alive(child.pid, start)  # a zombie is not alive
    finally:
        child.kill()
        child.wait()
    assert not identity.is_alive(child.pid, start)
    assert identity.process_start_time(child.pid) is None


@pytest.mark.parametrize("pid", [0, -1, -4242])
def test_no_process_for_non_positive_pids(pid: int) -> None:
    assert not identity.is_alive(pid, None)
    expected = None
    if pid == 0:
        try:
            expected = psutil.Process(0).create_time()
        except (psutil.NoSuchProcess, psutil.ZombieProcess, ValueError):
            expected = None
    assert identity.process_start_time(pid) == expected


def test_without_proc_psutil_answers_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    before = {pid: identity.process_start_time(pid) for pid in _pids()}
    monkeypatch.setattr(identity, "_boot_time", lambda: None)
    for pid in _pids():
        assert identity.process_start_time(pid) == before[pid]
        assert identity.is_alive(pid, before[pid])
    assert not identity.is_alive(4_194_304 + 7, None)  # above any pid_max: no such process


def test_models_load_on_first_use() -> None:
    from chaosguard.ledger import handles

    assert identity.WorkerHandles is handles.WorkerHandles
    assert identity.ProcessIdentity is handles.ProcessIdentity
    with pytest.raises(AttributeError):
        _ = identity.NoSuchThing  # type: ignore[attr-defined]
