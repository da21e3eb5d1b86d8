"""The NDJSON event stream: the line format, the file, stderr, and a stream that cannot open."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaosguard import telemetry
from chaosguard.telemetry.ndjson import NdjsonSink, event_line


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_line_is_the_envelope_then_the_fields(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "events.ndjson"
    monkeypatch.setenv("CHAOSGUARD_EVENTS", str(path))
    telemetry.emit("run-start", run_id="r1", title="t", scope="local", policy_digest="sha256:x")
    telemetry.emit("phase", phase="watching")
    telemetry.flush()
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert list(first)[:3] == ["v", "ts", "kind"]
    assert first == {
        "v": 1,
        "ts": first["ts"],
        "kind": "run-start",
        "run_id": "r1",
        "title": "t",
        "scope": "local",
        "policy_digest": "sha256:x",
    }
    assert isinstance(first["ts"], float) and first["ts"] <= json.loads(lines[1])["ts"]


def test_the_file_is_private_and_appended_to(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text('{"v":1,"ts":0.0,"kind":"earlier"}\n')
    os.chmod(path, 0o600)
    monkeypatch.setenv("CHAOSGUARD_EVENTS", str(path))
    telemetry.emit("run-end")
    assert [e["kind"] for e in _lines(path)] == ["earlier", "run-end"]
    fresh = tmp_path / "fresh.ndjson"
    telemetry.reset()
    monkeypatch.setenv("CHAOSGUARD_EVENTS", str(fresh))
    telemetry.emit("run-end")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def test_each_line_is_on_disk_once_flushed_and_at_the_runs_end(tmp_path: Path, monkeypatch) -> None:
    """Lines are written by a writer thread (a blocked stream never holds up the guard); a flush,
    and the end of a run, wait until every queued line is on disk."""
    path = tmp_path / "events.ndjson"
    monkeypatch.setenv("CHAOSGUARD_EVENTS", str(path))
    for n in range(3):
        telemetry.emit("phase", phase=f"p{n}")
        telemetry.flush()
        assert len(path.read_text().splitlines()) == n + 1  # read by another file object
    for n in range(200):
        telemetry.emit("phase", phase=f"q{n}")
    telemetry.emit("run-end")  # returns once the stream holds every line before it
    assert len(path.read_text().splitlines()) == 3 + 200 + 1


def test_a_stream_that_blocks_never_blocks_emit(monkeypatch) -> None:
    """A stream nobody reads (``-`` on a full pipe) holds the writer thread, not the caller."""
    release = threading.Event()

    class Stuck:
        def write(self, line: str) -> None:
            release.wait(10)

        def flush(self) -> None:
            pass

    sink = NdjsonSink(Stuck(), "stuck")  # type: ignore[arg-type]
    done = threading.Event()

    def many() -> None:
        for n in range(100):
            sink.handle("reading", float(n), {"guard": "g", "value": float(n)})
        done.set()

    threading.Thread(target=many, daemon=True).start()
    assert done.wait(5), "emit blocked on a stream that does not take lines"
    release.set()
    sink.flush(5)


def test_dash_writes_to_stderr(monkeypatch, capsys) -> None:
    monkeypatch.setenv("CHAOSGUARD_EVENTS", "-")
    telemetry.emit("abort", guard="latency")
    telemetry.flush()
    err = capsys.readouterr().err.splitlines()
    assert [json.loads(line)["guard"] for line in err] == ["latency"]


def test_nothing_configured_writes_nothing_anywhere(tmp_path: Path, monkeypatch, capsys) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    telemetry.emit("run-start", run_id="r1")
    telemetry.emit("reading", guard="g", value=1.0, violating=True)
    assert not telemetry.enabled()
    assert list(cwd.iterdir()) == []
    assert capsys.readouterr() == ("", "")


def test_a_stream_that_cannot_open_is_one_warning_and_the_run_goes_on(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    target = tmp_path / "missing-dir" / "events.ndjson"
    monkeypatch.setenv("CHAOSGUARD_EVENTS", str(target))
    with caplog.at_level(logging.WARNING, logger="chaostoolkit"):
        telemetry.emit("run-start", run_id="r1")  # does not raise
        telemetry.emit("run-end")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "CHAOSGUARD_EVENTS" in warnings[0] and str(target) in warnings[0]
    assert "\n" not in warnings[0]
    assert not target.exists() and not telemetry.enabled()


def test_a_write_error_is_told_once_then_the_sink_is_quiet(caplog) -> None:
    sink = NdjsonSink.open("/dev/full")  # every write fails: no space left on device
    with caplog.at_level(logging.WARNING, logger="chaostoolkit"):
        sink.handle("phase", 1.0, {"phase": "method"})
        sink.flush(5)
        sink.handle("phase", 2.0, {"phase": "rollbacks"})
        sink.flush(5)
    assert len([r for r in caplog.records if "no more events" in r.getMessage()]) == 1


def test_values_json_cannot_carry_and_envelope_names_are_kept_apart() -> None:
    doc = json.loads(
        event_line(
            "reading",
            5.0,
            {
                "value": float("nan"),
                "band_high": float("inf"),
                "kind": "x",
                "extra": {1, 2}.__len__,
            },
        )
    )
    assert doc["kind"] == "reading" and doc["kind_"] == "x"
    assert doc["value"] is None and doc["band_high"] is None
    assert isinstance(doc["extra"], str)


@given(
    st.dictionaries(
        st.text(min_size=1).filter(lambda k: k not in ("v", "ts", "kind")),
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text()),
        max_size=6,
    )
)
def test_any_fields_make_one_parseable_line(fields: dict) -> None:
    line = event_line("reading", 1.5, fields)
    assert line.endswith("\n") and line.count("\n") == 1
    doc = json.loads(line)
    assert doc["v"] == 1 and doc["kind"] == "reading"
    assert set(doc) == {"v", "ts", "kind", *fields}


def test_lines_from_many_threads_never_interleave(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "events.ndjson"
    monkeypatch.setenv("CHAOSGUARD_EVENTS", str(path))

    def burst(n: int) -> None:
        for i in range(200):
            telemetry.emit("revert", fault_kind="k", target="x" * 500, record_id=f"{n}-{i}")

    threads = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    telemetry.flush()
    ids = [e["record_id"] for e in _lines(path)]
    assert sorted(ids) == sorted(f"{n}-{i}" for n in range(4) for i in range(200))


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_variable_is_off(value: str, monkeypatch) -> None:
    monkeypatch.setenv("CHAOSGUARD_EVENTS", value)
    assert not telemetry.enabled()
