"""``chaos ledger list`` and ``chaos cleanup --run ID`` as a person uses them, through the CLI.

Two runners (real processes) each freeze (SIGSTOP) a real victim process; one is SIGKILLed. The
listing shows both faults with their owner alive or dead; ``--run`` refuses the live run, reverts
only the dead run's fault (its victim resumes, the other stays frozen), and an unknown id is one
line, exit 4.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator

import psutil
import pytest

from tests.helpers import python_child, wait_until

pytestmark = pytest.mark.usefixtures("unguarded_actions")

RUNNER = """
import os, time
from chaosguard import faults
from chaosguard.actions.process import pause_processes
out = pause_processes(name_pattern=r"^sleep {marker}$")
print(faults.run_ledger().run_id, out["record"], flush=True)
time.sleep(120)
"""


def _chaos(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["chaos", "--no-version-check", "--no-log-file", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture()
def victims() -> Iterator[list[subprocess.Popen[bytes]]]:
    started = [subprocess.Popen(["sleep", m]) for m in ("411.0411", "412.0412")]
    yield started
    for proc in started:
        proc.kill()
        proc.wait()


def _runner(marker: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str, str]:
    child = python_child(RUNNER.replace("{marker}", marker.replace(".", "\\.")), env=env)
    line = child.stdout.readline().split() if child.stdout else []
    if len(line) != 2:
        child.kill()
        raise AssertionError(f"runner did not inject: {line!r} {child.stderr.read()!r}")
    return child, line[0], line[1]


def _stopped(proc: subprocess.Popen[bytes]) -> bool:
    return psutil.Process(proc.pid).status() == psutil.STATUS_STOPPED


def test_list_then_cleanup_one_dead_run(
    chaos_env: dict[str, str], victims: list[subprocess.Popen[bytes]]
) -> None:
    alive, alive_run, alive_record = _runner("411.0411", chaos_env)
    dead, dead_run, dead_record = _runner("412.0412", chaos_env)
    try:
        assert wait_until(lambda: all(_stopped(v) for v in victims))
        dead.send_signal(signal.SIGKILL)
        dead.wait()

        listed = _chaos(chaos_env, "ledger", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        rows = {r["record_id"]: r for r in json.loads(listed.stdout)["open"]}
        assert set(rows) == {alive_record, dead_record}
        assert rows[alive_record]["owner"]["state"] == "alive"
        assert rows[alive_record]["owner"]["pid"] == alive.pid
        assert rows[dead_record]["owner"] == {
            "pid": dead.pid,
            "host": rows[dead_record]["owner"]["host"],
            "state": "dead",
        }
        for record, victim in ((alive_record, victims[0]), (dead_record, victims[1])):
            assert rows[record]["kind"] == "process-signal"
            assert f"pid {victim.pid}" in rows[record]["target"]
            assert rows[record]["opened_at"] > 0 and rows[record]["opened"]

        table = _chaos(chaos_env, "ledger", "list")
        assert table.returncode == 0, table.stderr
        assert "dead" in table.stdout and "alive" in table.stdout
        assert f"chaos cleanup --run {dead_run}" in table.stdout
        assert f"pid {victims[1].pid}" in table.stdout  # the exact target, never cut

        refused = _chaos(chaos_env, "cleanup", "--run", alive_run)
        assert refused.returncode == 3
        assert f"run {alive_run} is alive" in refused.stderr and _stopped(victims[0])

        unknown = _chaos(chaos_env, "cleanup", "--run", "no-such-run")
        assert unknown.returncode == 4
        assert unknown.stderr.strip().splitlines()[-1].startswith("Error: invalid argument '--run'")

        cleaned = _chaos(chaos_env, "cleanup", "--run", dead_run)
        assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
        assert "reverted" in cleaned.stdout
        assert wait_until(lambda: not _stopped(victims[1]))
        assert _stopped(victims[0])  # the live run's fault is untouched

        after = json.loads(_chaos(chaos_env, "ledger", "list", "--json").stdout)["open"]
        assert [r["record_id"] for r in after] == [alive_record]
        again = _chaos(chaos_env, "cleanup", "--run", dead_run)  # archived: nothing left
        assert again.returncode == 0 and "Nothing open" in again.stdout
    finally:
        alive.kill()
        alive.wait()
    assert _chaos(chaos_env, "cleanup").returncode == 0
    assert wait_until(lambda: not _stopped(victims[0]))
    empty = _chaos(chaos_env, "ledger", "list")
    assert empty.returncode == 0 and "Nothing open" in empty.stdout
