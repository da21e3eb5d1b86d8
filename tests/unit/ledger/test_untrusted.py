"""A run file folds only when every line is what it claims to be; the state dir is ours alone."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chaosguard.errors import Refused
from chaosguard.ledger.identity import WorkerHandles
from chaosguard.ledger.paths import checked_state_dir, ensure_dir, inside, private_dir
from chaosguard.ledger.store import RunLedger, iter_runs, quarantine, read_run


def _run_with(home: Path, *lines: str) -> Path:
    run = RunLedger.create(home)
    run.open("cpu-stress", {"workers": 1})
    run.release()
    with run.path.open("a") as fh:
        for line in lines:
            fh.write(line + "\n")
    return run.path


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("[1,2]", "line 3 is not a JSON object"),
        ('{"op": "explode"}', "line 3: unknown op 'explode'"),
        ('{"op": "close", "id": "nope.00000000", "at": 1}', "unknown record"),
        ('{"op": "update", "id": "x", "handles": [1]}', "line 3: update.handles"),
        ('{"op": "run", "pid": 1, "start_time": 1}', "after line 1"),
        ('{"op": "open", "record": {"id": "x"}}', "line 3: open.record"),
    ],
)
def test_a_malformed_line_makes_the_file_untrusted(
    chaosguard_home: Path, line: str, why: str
) -> None:
    state = read_run(_run_with(chaosguard_home, line))
    assert state.problem is not None and why in state.problem, state.problem


def test_a_record_of_another_run_is_refused(chaosguard_home: Path) -> None:
    foreign = {
        "id": "other-run.0badc0de",
        "run_id": "other-run",
        "kind": "cpu-stress",
        "spec": {},
        "created_at": 1.0,
    }
    path = _run_with(chaosguard_home, json.dumps({"op": "open", "record": foreign}))
    assert "is not of run" in (read_run(path).problem or "")


def test_a_torn_line_is_skipped_and_adopt_ends_it(chaosguard_home: Path) -> None:
    run = RunLedger.create(chaosguard_home)
    rec = run.open("cpu-stress", {})
    run.release()
    with run.path.open("a") as fh:
        fh.write('{"op":"close","id":"' + rec.id + '","at":1')  # crash mid-write
    adopted = RunLedger.adopt(run.path)
    assert adopted is not None
    adopted.close(rec, "reverted")
    adopted.release()
    state = read_run(run.path)
    assert state.problem is None and state.records[rec.id].outcome == "reverted"


def test_a_symlinked_run_file_is_a_problem_and_never_written(
    chaosguard_home: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target.jsonl"
    target.write_text("")
    link = chaosguard_home / "ledger" / "20260101T000000-0000abcd.jsonl"
    link.parent.mkdir(mode=0o700)
    link.symlink_to(target)
    (state,) = iter_runs(chaosguard_home)
    assert "symbolic link" in (state.problem or "")
    moved = quarantine(link, state.problem or "")
    assert moved.is_symlink() and not link.is_symlink() and target.read_text() == ""
    reason = moved.with_name(moved.name + ".reason")
    assert "symbolic link" in reason.read_text() and (reason.stat().st_mode & 0o777) == 0o600


def test_the_state_dir_must_be_ours_and_not_writable_by_others(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o775)
    with pytest.raises(Refused, match="writable by group or others"):
        checked_state_dir(loose)
    os.chmod(loose, 0o755)
    assert checked_state_dir(loose) == loose


def test_a_subdirectory_that_is_a_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "ledger").symlink_to(tmp_path / "real")
    with pytest.raises(Refused, match="symbolic link"):
        private_dir(tmp_path, "ledger")


def test_ensure_dir_creates_every_missing_parent_0700(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        ensure_dir(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    for path in (tmp_path / "a", tmp_path / "a" / "b"):
        assert (path.stat().st_mode & 0o777) == 0o700


def test_inside_only_names_entries_of_the_directory(tmp_path: Path) -> None:
    d = tmp_path / "latency"
    d.mkdir()
    assert inside(d / "x.sock", d) == d.resolve() / "x.sock"
    assert inside(tmp_path / "x.sock", d) is None
    assert inside(f"{d}/../x.sock", d) is None
    assert inside(d / "sub" / "x.sock", d) is None
    (tmp_path / "alias").symlink_to(tmp_path)
    assert inside(tmp_path / "alias" / "x.sock", d) is None


def test_worker_handles_need_the_start_time_with_a_pid() -> None:
    with pytest.raises(ValueError, match="start time"):
        WorkerHandles.model_validate({"pid": 4242})
    with pytest.raises(ValueError, match="start time"):
        WorkerHandles.model_validate({"pids": [4242]})
    with pytest.raises(ValueError):
        WorkerHandles.model_validate({"pid": 1, "create_time": 5.0})
    assert WorkerHandles.model_validate({}).pid is None  # crash before the update: flag only
    ok = WorkerHandles.model_validate({"pid": 4242, "create_time": 5.0, "listen": "x"})
    assert "pid 4242 (started 5.0)" in ok.describe("r.1")
