"""Process signal fault on real processes: pause/resume, permanent signals as evidence, refusals."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosguard.actions.process import pause_processes, resume_processes, signal_processes
from chaosguard.errors import InvalidArgument, Refused
from tests.helpers import ledger_records, python_child, wait_until


@pytest.fixture()
def sleeper() -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["sleep", "271.0271"])
    yield proc
    proc.kill()
    proc.wait()


def test_pause_then_resume(sleeper, chaosguard_home: Path) -> None:
    out = pause_processes(name_pattern=r"^sleep 271\.0271$")
    assert out["processes"] == [{"pid": sleeper.pid, "name": "sleep"}]
    assert wait_until(lambda: psutil.Process(sleeper.pid).status() == psutil.STATUS_STOPPED)
    resumed = resume_processes()
    assert [r["record"] for r in resumed] == [out["record"]]
    assert wait_until(lambda: psutil.Process(sleeper.pid).status() != psutil.STATUS_STOPPED)
    assert resume_processes() == []  # second revert harmless


def test_kill_is_kept_as_closed_evidence(sleeper, chaosguard_home: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "app.pid"
    pid_file.write_text(f"{sleeper.pid}\n")
    out = signal_processes("KILL", pid_file=str(pid_file))
    assert out["signal"] == "SIGKILL"
    assert sleeper.wait(timeout=5) == -9
    (record,) = ledger_records(chaosguard_home)
    assert record["spec"]["targets"][0]["pid"] == sleeper.pid


@pytest.mark.parametrize("pid", [1, os.getpid(), os.getppid()])
def test_refuses_pid_1_the_runner_and_its_parents(
    pid: int, tmp_path: Path, chaosguard_home: Path
) -> None:
    pid_file = tmp_path / "x.pid"
    pid_file.write_text(str(pid))
    with pytest.raises(Refused, match="pid_file"):
        signal_processes("SIGTERM", pid_file=str(pid_file))
    assert ledger_records(chaosguard_home) == []


def test_pattern_never_matches_the_runner(chaosguard_home: Path) -> None:
    # A child runner whose pattern matches only its own command line must find nothing to signal.
    # (Never point a pattern at real processes here: other test runs may share the machine.)
    marker = f"cg-runner-marker-{os.getpid()}"
    child = python_child(
        f"""
        # {marker}
        from chaosguard.actions.process import signal_processes
        from chaosguard.errors import InvalidArgument
        try:
            signal_processes("SIGSTOP", name_pattern="{marker}", max_processes=1000)
        except InvalidArgument as exc:
            print("refused:", exc)
        """,
        env={"CHAOSGUARD_HOME": str(chaosguard_home)},
    )
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert out.startswith("refused: invalid argument 'name_pattern'"), out
    assert ledger_records(chaosguard_home) == []


def test_too_many_matches_are_refused(chaosguard_home: Path) -> None:
    procs = [subprocess.Popen(["sleep", "263.0263"]) for _ in range(3)]
    try:
        with pytest.raises(Refused, match="max_processes=2"):
            pause_processes(name_pattern=r"^sleep 263\.0263$", max_processes=2)
        assert all(psutil.Process(p.pid).status() != psutil.STATUS_STOPPED for p in procs)
        assert ledger_records(chaosguard_home) == []
    finally:
        for p in procs:
            p.kill()
            p.wait()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"pid_file": "/nonexistent/app.pid"}, "pid_file"),
        ({"name_pattern": "(unclosed"}, "name_pattern"),
        ({"name_pattern": "^no-such-process-[0-9]{9}$"}, "name_pattern"),
        ({}, "pid_file"),
        ({"pid_file": "/etc/hostname", "name_pattern": "x"}, "pid_file"),
        ({"name_pattern": "sleep", "max_processes": 0}, "max_processes"),
        ({"name_pattern": "sleep", "signal": "SIGNOPE"}, "signal"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict, field: str, chaosguard_home: Path) -> None:
    with pytest.raises(InvalidArgument) as err:
        signal_processes(**{"signal": "SIGTERM", **kwargs})
    assert err.value.field == field and "\n" not in str(err.value)
    assert ledger_records(chaosguard_home) == []


def test_bad_pid_file_contents(tmp_path: Path, chaosguard_home: Path) -> None:
    for text in ("", "abc", "12 13", "-5", "99999999"):
        (tmp_path / "p.pid").write_text(text)
        with pytest.raises(InvalidArgument, match="pid_file"):
            pause_processes(pid_file=str(tmp_path / "p.pid"))
    assert ledger_records(chaosguard_home) == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sig=st.text(max_size=12).filter(
        lambda s: (
            s.strip().upper().removeprefix("SIG")
            not in {x.name.removeprefix("SIG") for x in __import__("signal").Signals}
            and not s.strip().isdigit()
        )
    )
)
def test_fuzzed_signal_names_are_one_line_errors(sig: str, chaosguard_home: Path) -> None:
    with pytest.raises(InvalidArgument) as err:
        signal_processes(sig, name_pattern=r"^sleep 271\.0271$")
    assert err.value.field == "signal" and "\n" not in str(err.value)
    assert ledger_records(chaosguard_home) == []
