"""The ledger on disk: records written before injection, folding, torn lines, locking."""

from __future__ import annotations

import json
from pathlib import Path

from chaosguard.ledger.store import RunLedger, current_run, iter_runs, read_run


def test_open_record_is_on_disk_before_open_returns(chaosguard_home: Path) -> None:
    run = RunLedger.create(chaosguard_home)
    record = run.open("process-signal", {"signal": "SIGSTOP"})
    lines = [json.loads(x) for x in run.path.read_text().splitlines()]
    assert lines[0]["op"] == "run" and lines[0]["pid"] > 0
    assert lines[1] == {"op": "open", "record": record.model_dump(mode="json")}
    run.release()


def test_update_and_close_fold_into_state(chaosguard_home: Path) -> None:
    run = RunLedger.create(chaosguard_home)
    rec = run.open("cpu-stress", {"workers": 1})
    rec = run.update(rec, {"pid": 123})
    assert rec.handles == {"pid": 123}
    other = run.open("cpu-stress", {"workers": 2})
    run.close(rec, "reverted")
    state = read_run(run.path)
    assert [r.id for r in state.open_records] == [other.id]
    assert state.records[rec.id].outcome == "reverted" and state.records[rec.id].handles == {
        "pid": 123
    }
    run.release()


def test_torn_last_line_is_ignored(chaosguard_home: Path) -> None:
    run = RunLedger.create(chaosguard_home)
    rec = run.open("cpu-stress", {})
    run.release()
    with run.path.open("a") as fh:
        fh.write('{"op":"close","id":"' + rec.id + '","at":1')  # crash mid-write
    assert [r.id for r in read_run(run.path).open_records] == [rec.id]


def test_owner_holds_the_lock_so_nobody_adopts_a_live_run(chaosguard_home: Path) -> None:
    run = RunLedger.create(chaosguard_home)
    assert RunLedger.adopt(run.path) is None
    run.release()
    adopted = RunLedger.adopt(run.path)
    assert adopted is not None
    adopted.release()


def test_current_run_is_one_per_process_and_root(chaosguard_home: Path) -> None:
    assert current_run() is current_run()
    assert [s.run_id for s in iter_runs()] == [current_run().run_id]
    assert read_run(current_run().path).runner_alive()


def test_change_and_failed_change_fold_into_the_record(chaosguard_home: Path) -> None:
    run = RunLedger.create(chaosguard_home)
    rec = run.open("latency-proxy", {"toxic": 0})
    changed = run.change(rec, {"toxic": 50})
    assert changed.spec == {"toxic": 50} and changed.prior_spec == {"toxic": 0}
    failed = run.change_failed(changed, "worker gone")
    folded = read_run(run.path).records[rec.id]
    assert folded == failed and folded.change_error == "worker gone" and folded.is_open
    lines = [json.loads(x) for x in run.path.read_text().splitlines()]
    assert [x["op"] for x in lines[-2:]] == ["change", "change-failed"]
    assert lines[-2]["spec"] == {"toxic": 50} and lines[-2]["id"] == rec.id
    again = run.change(failed, {"toxic": 0})
    assert read_run(run.path).records[rec.id] == again and again.change_error is None
    run.release()
