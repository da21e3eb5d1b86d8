"""Dead runs are cleaned up; live runs are left alone; a normal exit reverts its own leftovers.

The fault used is a real SIGSTOP of a real ``sleep`` process (revert = SIGCONT), so no worker is
involved.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import psutil
import pytest

from chaosguard.faults.cleanup import cleanup_dead_runs, sweep
from chaosguard.ledger.store import iter_runs
from tests.helpers import python_child, wait_until

PAUSE_AND_WAIT = """
import sys, time
from chaosguard.actions.process import pause_processes
print(pause_processes(name_pattern=r"^sleep 317\\.0317$")["record"], flush=True)
if sys.argv[-1] != "exit":
    time.sleep(60)
"""


@pytest.fixture()
def sleeper() -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["sleep", "317.0317"])
    yield proc
    proc.kill()
    proc.wait()


def _status(proc: subprocess.Popen[bytes]) -> str:
    return psutil.Process(proc.pid).status()


def test_sigkilled_runner_leaves_a_record_that_cleanup_reverts(
    sleeper, chaosguard_home: Path
) -> None:
    child = python_child(PAUSE_AND_WAIT, env={"CHAOSGUARD_HOME": str(chaosguard_home)})
    record_id = child.stdout.readline().strip()
    assert record_id, child.stderr.read()
    assert wait_until(lambda: _status(sleeper) == psutil.STATUS_STOPPED)
    # While the runner lives, cleanup leaves its run alone.
    assert cleanup_dead_runs(chaosguard_home) == []
    assert _status(sleeper) == psutil.STATUS_STOPPED
    child.send_signal(signal.SIGKILL)
    child.wait()
    dry = cleanup_dead_runs(chaosguard_home, dry_run=True)
    assert [(i.record_id, i.outcome) for i in dry] == [(record_id, "would-revert")]
    assert _status(sleeper) == psutil.STATUS_STOPPED
    items = cleanup_dead_runs(chaosguard_home)
    assert [(i.record_id, i.kind, i.outcome) for i in items] == [
        (record_id, "process-signal", "reverted")
    ]
    assert wait_until(lambda: _status(sleeper) != psutil.STATUS_STOPPED)
    assert list(iter_runs(chaosguard_home)) == []  # archived
    assert cleanup_dead_runs(chaosguard_home) == []


def test_normal_exit_reverts_its_own_leftovers(sleeper, chaosguard_home: Path) -> None:
    child = python_child(
        PAUSE_AND_WAIT.replace('sys.argv[-1] != "exit"', "False"),
        env={"CHAOSGUARD_HOME": str(chaosguard_home)},
    )
    _, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert wait_until(lambda: _status(sleeper) != psutil.STATUS_STOPPED)
    assert "reverted leftover process-signal" in err
    assert cleanup_dead_runs(chaosguard_home) == []
    archived = list((chaosguard_home / "ledger" / "archive").glob("*.jsonl"))
    assert len(archived) == 1 and '"op":"end"' in archived[0].read_text()


def test_sweep_is_the_one_entry_point_of_chaos_cleanup(sleeper, chaosguard_home: Path) -> None:
    child = python_child(PAUSE_AND_WAIT, env={"CHAOSGUARD_HOME": str(chaosguard_home)})
    record_id = child.stdout.readline().strip()
    assert record_id, child.stderr.read()
    child.send_signal(signal.SIGKILL)
    child.wait()
    dry = sweep(chaosguard_home, dry_run=True)
    assert [(i.record_id, i.outcome) for i in dry] == [(record_id, "would-revert")]
    assert _status(sleeper) == psutil.STATUS_STOPPED
    # the dead run's record is reverted; no Chaos Mesh record, so no cluster is contacted
    items = sweep(chaosguard_home)
    assert [(i.record_id, i.kind, i.outcome) for i in items] == [
        (record_id, "process-signal", "reverted")
    ]
    assert wait_until(lambda: _status(sleeper) != psutil.STATUS_STOPPED)
    assert sweep(chaosguard_home) == []
