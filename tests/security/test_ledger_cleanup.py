"""Issue 9, item 6: ``chaos cleanup`` trusts only what re-validates (local attacks).

Each test writes a hostile or broken ledger file for a *dead* run into a fresh state directory and
runs the real ``chaos cleanup`` in a subprocess against it, with a real victim process or file.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from chaosguard.faults.cleanup import cleanup_dead_runs
from tests.conftest import VENV_BIN
from tests.helpers import python_child, wait_until

pytestmark = pytest.mark.security

PAUSE_AND_WAIT = """
import sys, time
import psutil
from chaosguard import faults
from chaosguard.faults.process.spec import ProcessSignalSpec, ProcessTarget
proc = psutil.Process(int(sys.argv[1]))
target = ProcessTarget(pid=proc.pid, create_time=proc.create_time(), name=proc.name())
print(faults.inject("process-signal", ProcessSignalSpec(signal="SIGSTOP", targets=(target,))).id,
      flush=True)
time.sleep(60)
"""


def dead_runner() -> tuple[int, float]:
    """pid and start time of a process that has exited (a SIGKILLed runner)."""
    proc = subprocess.Popen(["sleep", "30"])
    start = psutil.Process(proc.pid).create_time()
    proc.kill()
    proc.wait()
    return proc.pid, start


def write_run(home: Path, run_id: str, *lines: Any) -> Path:
    """A dead run's ledger file: its ``run`` line, then ``lines`` (objects or raw text)."""
    pid, start = dead_runner()
    head = {
        "op": "run",
        "pid": pid,
        "start_time": start,
        "host": socket.gethostname(),
        "argv": ["chaos", "run"],
        "at": time.time(),
    }
    directory = home / "ledger"
    directory.mkdir(mode=0o700, exist_ok=True)
    path = directory / f"{run_id}.jsonl"
    text = [json.dumps(head)] + [x if isinstance(x, str) else json.dumps(x) for x in lines]
    path.write_text("\n".join(text) + "\n")
    return path


def open_line(run_id: str, kind: str, spec: dict[str, Any], **handles: Any) -> dict[str, Any]:
    record = {
        "id": f"{run_id}.0badc0de",
        "run_id": run_id,
        "kind": kind,
        "spec": spec,
        "handles": handles,
        "revertible": True,
        "created_at": time.time(),
    }
    return {"op": "open", "record": record}


def chaos_cleanup(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(VENV_BIN / "chaos"), "--no-version-check", "--no-log-file", "cleanup", *args]
    wide = {**env, "COLUMNS": "400"}  # one table row per line
    return subprocess.run(cmd, env=wide, capture_output=True, text=True, timeout=60)


@pytest.fixture()
def victim() -> subprocess.Popen[str]:
    proc = python_child("import time; time.sleep(60)")
    yield proc
    proc.kill()
    proc.wait()


def test_a_pid_without_start_time_is_never_signalled(
    chaosguard_home: Path, chaos_env: dict[str, str], victim: subprocess.Popen[str]
) -> None:
    run_id = "20260101T000000-0000aaaa"
    spec = {"workers": 1, "load_percent": 50.0, "duration_s": 0.0, "backend": "builtin"}
    write_run(chaosguard_home, run_id, open_line(run_id, "cpu-stress", spec, pid=victim.pid))
    dry = chaos_cleanup(chaos_env, "--dry-run")
    assert "Traceback" not in dry.stderr
    result = chaos_cleanup(chaos_env)
    assert "Traceback" not in result.stderr
    time.sleep(0.3)
    assert victim.poll() is None, "cleanup signalled a process it could not identify"
    assert result.returncode == 4, result.stdout + result.stderr
    assert "start time" in result.stdout.replace("\n", " ")
    quarantined = chaosguard_home / "ledger" / "quarantine" / f"{run_id}.jsonl"
    assert quarantined.exists() and not (chaosguard_home / "ledger" / f"{run_id}.jsonl").exists()
    assert chaos_cleanup(chaos_env).returncode == 0  # reported once, no dead end


def test_a_control_path_outside_the_state_dir_is_never_unlinked(
    chaosguard_home: Path, chaos_env: dict[str, str], tmp_path: Path
) -> None:
    precious = tmp_path / "precious.sock"
    precious.write_text("not yours")
    run_id = "20260101T000000-0000bbbb"
    spec = {
        "name": "api",
        "listen": "127.0.0.1:0",
        "upstream": "127.0.0.1:9",
        "toxic": {"latency_ms": 10.0},
    }
    write_run(
        chaosguard_home, run_id, open_line(run_id, "latency-proxy", spec, control=str(precious))
    )
    result = chaos_cleanup(chaos_env)
    assert "Traceback" not in result.stderr
    assert precious.read_text() == "not yours"
    assert result.returncode == 4 and "state dir" in result.stdout.replace("\n", " ")


def test_a_toxic_control_socket_outside_the_state_dir_is_never_contacted(
    chaosguard_home: Path, chaos_env: dict[str, str], tmp_path: Path
) -> None:
    outside = tmp_path / "other.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(outside))
    server.listen(1)
    server.settimeout(0.5)
    run_id = "20260101T000000-0000cccc"
    spec = {
        "proxy": "api",
        "proxy_record": "x.00000000",
        "control": str(outside),
        "toxic": {"latency_ms": 10.0},
    }
    write_run(chaosguard_home, run_id, open_line(run_id, "latency-toxic", spec))
    result = chaos_cleanup(chaos_env)
    assert "Traceback" not in result.stderr
    with pytest.raises(TimeoutError):
        server.accept()  # nobody connected
    server.close()
    assert result.returncode == 4


def test_a_malformed_run_file_is_quarantined_and_other_runs_are_cleaned(
    chaosguard_home: Path, chaos_env: dict[str, str]
) -> None:
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        code = PAUSE_AND_WAIT.replace("int(sys.argv[1])", str(sleeper.pid))
        child = python_child(code, env={"CHAOSGUARD_HOME": str(chaosguard_home)})
        record_id = child.stdout.readline().strip()
        assert record_id, child.stderr.read()
        assert wait_until(lambda: psutil.Process(sleeper.pid).status() == "stopped")
        child.send_signal(signal.SIGKILL)
        child.wait()
        bad = write_run(chaosguard_home, "00000000T000000-0000dddd", "[1,2]")  # sorts first
        result = chaos_cleanup(chaos_env)
        assert "Traceback" not in result.stderr, result.stderr
        # the other dead run's real leftover is reverted in the same cleanup
        assert wait_until(lambda: psutil.Process(sleeper.pid).status() != "stopped")
        assert record_id.rsplit(".", 1)[-1] in result.stdout
        quarantine = chaosguard_home / "ledger" / "quarantine"
        assert not bad.exists() and (quarantine / bad.name).exists()
        reason = (quarantine / (bad.name + ".reason")).read_text()
        assert "line 2" in reason
        assert "quarantine" in result.stdout + result.stderr
        assert result.returncode == 4  # reported: someone must look at it
        # later runs are not refused and cleanup is not stuck
        assert cleanup_dead_runs(chaosguard_home) == []
        assert chaos_cleanup(chaos_env).returncode == 0
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_symlinked_run_file_is_not_followed(
    chaosguard_home: Path, chaos_env: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.jsonl"
    elsewhere.write_text("")
    (chaosguard_home / "ledger").mkdir(mode=0o700)
    link = chaosguard_home / "ledger" / "20260101T000000-0000eeee.jsonl"
    link.symlink_to(elsewhere)
    result = chaos_cleanup(chaos_env)
    assert "Traceback" not in result.stderr
    assert elsewhere.read_text() == ""  # nothing appended through the link
    assert not link.is_symlink() or not link.exists()


def test_a_world_writable_state_dir_is_refused_in_one_line(
    tmp_path: Path, chaos_env: dict[str, str]
) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o777)
    result = chaos_cleanup(chaos_env, "--state-dir", str(loose))
    assert result.returncode in (3, 4)
    assert result.stderr.count("\n") == 1 and "writable" in result.stderr, result.stderr
    assert not (loose / "ledger").exists()


def test_dirs_are_created_0700(tmp_path: Path, chaos_env: dict[str, str]) -> None:
    fresh = tmp_path / "a" / "b" / "state"
    result = chaos_cleanup(chaos_env, "--state-dir", str(fresh))
    assert result.returncode == 0, result.stderr
    for path in (tmp_path / "a", tmp_path / "a" / "b", fresh, fresh / "ledger"):
        assert (path.stat().st_mode & 0o777) == 0o700, path


@pytest.mark.parametrize(
    ("kind", "spec", "handles", "field"),
    [
        (
            "chaosmesh-network",
            {"kubeconfig": "k", "context": "c", "namespace": "ns", "spec": {}},
            {"name": "../../../../api/v1/namespaces/kube-system/secrets/x"},
            "handles.name",
        ),
        (
            "chaosmesh-stress",
            {"kubeconfig": "k", "context": "c", "namespace": "kube-system/secrets", "spec": {}},
            {},
            "spec.namespace",
        ),
        (
            "chaosmesh-network",
            {"kubeconfig": "k", "context": "c", "namespace": "ns", "spec": {}},
            {"name": "chaosguard-x", "uid": "../x"},
            "handles.uid",
        ),
        ("process-signal", {"signal": "SIGSTOP", "targets": [{"pid": 4242}]}, {}, "create_time"),
        (
            "memory-stress",
            {"mib": 1, "duration_s": 0, "backend": "builtin"},
            {"pids": [7]},
            "start",
        ),
        ("no-such-kind", {}, {}, "unknown fault kind"),
    ],
)
def test_check_record_refuses_what_does_not_re_validate(
    kind: str, spec: dict[str, Any], handles: dict[str, Any], field: str
) -> None:
    from chaosguard.errors import Refused
    from chaosguard.faults.contract import check_record
    from chaosguard.ledger.store import FaultRecord

    record = FaultRecord.new(
        id="r.0badc0de", run_id="r", kind=kind, spec=spec, handles=handles, created_at=1.0
    )
    with pytest.raises(Refused, match=r"re-validate|unknown") as caught:
        check_record(record)
    assert field in str(caught.value) and "\n" not in str(caught.value)


def test_check_record_names_the_exact_targets() -> None:
    from chaosguard.faults.contract import check_record
    from chaosguard.ledger.store import FaultRecord

    spec = {"kubeconfig": "k", "context": "c", "namespace": "shop", "spec": {}}
    handles = {"name": "chaosguard-r-0badc0de", "uid": "6f1c2d3e-aaaa-bbbb-cccc-000000000000"}
    record = FaultRecord.new(
        id="r.0badc0de",
        run_id="r",
        kind="chaosmesh-network",
        spec=spec,
        handles=handles,
        created_at=1.0,
    )
    assert check_record(record) == (
        "shop/chaosmesh-network/chaosguard-r-0badc0de uid 6f1c2d3e-aaaa-bbbb-cccc-000000000000"
    )
