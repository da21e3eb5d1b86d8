"""The NDJSON event stream (``CHAOSGUARD_EVENTS``) of real ``chaos run`` and ``chaos gameday run``
processes: what a CI step parses (docs/events.md).

The guard here is a Python SLO source reading a number the test controls; the fault is real (a
latency proxy process).
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import VENV_BIN
from tests.e2e import guarded
from tests.e2e.guarded import action, experiment, python_guard, set_value, value_env
from tests.helpers import ROOT, allowing_test_helpers, ledger_records, wait_until

pytestmark = pytest.mark.slow
LAT = "chaosguard.actions.latency"
WAIT = "tests.guard_values"


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every line of the stream, parsed (a line that is not JSON fails the test)."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def in_order(kinds: list[str], expected: list[str]) -> bool:
    """``expected`` is a subsequence of ``kinds``."""
    it = iter(kinds)
    return all(k in it for k in expected)


@pytest.fixture()
def upstream() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def aborting_run(tmp_path: Path, env: dict[str, str], upstream: str, home: Path) -> guarded.Result:
    """A guarded run whose guard breaches once the latency proxy is open and the long action runs:
    the proxy is reverted, the action cut short, the run aborted."""
    marker = tmp_path / f"cg-wait-{uuid.uuid4().hex}"
    method = [
        action(
            "proxy",
            LAT,
            "start_latency_proxy",
            name="p",
            listen="127.0.0.1:0",
            upstream=upstream,
            latency_ms=100,
        ),
        action("long-wait", WAIT, "wait", seconds=30, marker=str(marker)),
    ]
    doc = experiment(method, guards=[python_guard(max=10)])
    doc["title"] = "events e2e"
    doc["extensions"][0]["policy"] = {"guard": {"interval_s": 0.2}}

    def breach_when_running() -> None:
        if wait_until(
            lambda: any(r["kind"] == "latency-proxy" for r in ledger_records(home)), timeout=60
        ) and wait_until(marker.exists, timeout=60):
            set_value(env, 99)

    guarded.later(0, breach_when_running)
    return guarded.chaos_run(tmp_path, doc, env, policy=allowing_test_helpers())


def test_an_aborted_run_streams_its_story_in_order(
    tmp_path: Path, chaos_env: dict, upstream: str, chaosguard_home: Path
) -> None:
    stream = tmp_path / "events.ndjson"
    env = value_env(tmp_path, {**chaos_env, "CHAOSGUARD_EVENTS": str(stream)}, 1)
    res = aborting_run(tmp_path, env, upstream, chaosguard_home)
    assert res.journal.get("status") == "aborted", res.stderr[-3000:]
    events = read_events(stream)
    assert all(e["v"] == 1 and isinstance(e["ts"], float) for e in events)
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    kinds = [e["kind"] for e in events]
    assert kinds.count("run-start") == 1 and kinds[-2:] == ["outcome", "run-end"]
    assert in_order(
        kinds,
        [
            "run-start",
            "phase",
            "activity-start",
            "activity-end",
            "activity-start",
            "reading",
            "breach",
            "revert",
            "abort",
            "activity-end",
            "outcome",
            "run-end",
        ],
    ), kinds
    by_kind = {e["kind"]: e for e in reversed(events)}  # the first of each kind
    start = by_kind["run-start"]
    assert start["run_id"] == res.guard["run_id"] and start["title"] == "events e2e"
    assert start["policy_digest"] == res.guard["policy_digest"] and start["scope"]
    assert [e["phase"] for e in events if e["kind"] == "phase"][:1] == ["preflight"]
    assert "method" in [e["phase"] for e in events if e["kind"] == "phase"]
    acts = [(e["kind"], e["name"], e.get("status")) for e in events if "activity" in e["kind"]]
    assert acts[:4] == [
        ("activity-start", "proxy", None),
        ("activity-end", "proxy", "succeeded"),
        ("activity-start", "long-wait", None),
        ("activity-end", "long-wait", "interrupted"),
    ]
    assert all(e["section"] == "method" for e in events if e["kind"] == "activity-start")
    ended = next(e for e in events if e["kind"] == "activity-end" and e["name"] == "long-wait")
    assert 0 < ended["duration_s"] < 30
    breach = by_kind["breach"]
    assert breach["guard"] == "value" and breach["value"] == 99 and breach["objective"]
    assert any(e["kind"] == "reading" and e["value"] == 99 and e["breached"] for e in events)
    revert = by_kind["revert"]
    assert revert["fault_kind"] == "latency-proxy" and revert["ok"] is True
    assert revert["record_id"] == res.guard["breach"]["reverted"][0]["record"]
    assert upstream in revert["target"] and revert["latency_s"] >= 0
    assert by_kind["abort"]["guard"] == "value"
    assert by_kind["outcome"] == {
        **by_kind["outcome"],
        "outcome": "aborted",
        "exit_code": 2,
        "reason": res.guard["reason"],
    }
    # rate limit: readings every 0.2 s for seconds, but healthy ones at most one a second
    healthy = [e["ts"] for e in events if e["kind"] == "reading" and not e["violating"]]
    assert all(b - a >= 0.99 for a, b in itertools.pairwise(healthy)), healthy


def test_without_the_variable_nothing_is_written(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    before = set(tmp_path.iterdir())
    res = guarded.chaos_run(
        tmp_path,
        experiment([action("short", WAIT, "wait", seconds=0.1)]),
        env,
        policy=allowing_test_helpers(),
    )
    assert res.rc == 0 and res.guard["outcome"] == "met", res.stderr[-2000:]
    new = {p.name for p in set(tmp_path.iterdir()) - before}
    assert new == {"experiment.yaml", "journal.json", "policy.yaml"}
    assert '"kind"' not in res.stderr


def test_a_stream_that_cannot_open_does_not_fail_the_run(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    bad = tmp_path / "no-such-dir" / "events.ndjson"
    env = value_env(tmp_path, {**chaos_env, "CHAOSGUARD_EVENTS": str(bad)}, 1)
    res = guarded.chaos_run(
        tmp_path,
        experiment([action("short", WAIT, "wait", seconds=0.1)]),
        env,
        policy=allowing_test_helpers(),
    )
    assert res.rc == 0 and res.guard["outcome"] == "met", res.stderr[-2000:]
    said = [line for line in res.stderr.splitlines() if "CHAOSGUARD_EVENTS" in line]
    assert len(said) == 1 and str(bad) in said[0], res.stderr[-2000:]


# -- game days --------------------------------------------------------------------------------
def suite_of_two(tmp_path: Path) -> Path:
    """Two experiments that meet their hypothesis (a short action under a calm python guard)."""
    names = []
    for i in (1, 2):
        doc = experiment([action(f"step-{i}", WAIT, "wait", seconds=0.1)], controls=[])
        doc["title"] = f"experiment {i}"
        (tmp_path / f"exp{i}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        names.append(f"exp{i}.yaml")
    (tmp_path / "policy.yaml").write_text(
        yaml.safe_dump(allowing_test_helpers({"guard": {"interval_s": 0.2}}))
    )
    suite = {"name": "events-suite", "policy": "policy.yaml", "experiments": names}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def gameday_run(env: dict[str, str], cwd: Path, suite: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(VENV_BIN / "chaos"),
            "--no-version-check",
            "--no-log-file",
            "gameday",
            "run",
            str(suite),
            "--output-dir",
            str(cwd / "out"),
        ],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT), "COLUMNS": "160"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


SUITE_STORY = [
    "suite-start",
    "experiment-start",
    "run-start",
    "activity-start",
    "activity-end",
    "outcome",
    "run-end",
    "experiment-end",
    "experiment-start",
    "run-start",
    "activity-start",
    "activity-end",
    "outcome",
    "run-end",
    "experiment-end",
    "suite-end",
]


def _check_suite_stream(events: list[dict[str, Any]]) -> None:
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "suite-start" and kinds[-1] == "suite-end", kinds
    assert in_order(kinds, SUITE_STORY), kinds
    assert kinds.count("run-start") == 2 and kinds.count("suite-start") == 1
    assert events[0]["suite"] == "events-suite"
    assert events[0]["experiments"] == ["experiment 1", "experiment 2"]
    ends = [e for e in events if e["kind"] == "experiment-end"]
    assert [(e["name"], e["outcome"]) for e in ends] == [
        ("experiment 1", "met"),
        ("experiment 2", "met"),
    ]
    assert events[-1]["verdict"] == 0 and events[-1]["score"] == 100.0
    titles = [e["title"] for e in events if e["kind"] == "run-start"]
    assert titles == ["experiment 1", "experiment 2"]


def test_a_gameday_writes_one_stream_for_the_suite(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    stream = tmp_path / "suite-events.ndjson"
    env = value_env(tmp_path, {**chaos_env, "CHAOSGUARD_EVENTS": str(stream)}, 1)
    env.pop("CHAOSGUARD_POLICY", None)
    result = gameday_run(env, tmp_path, suite_of_two(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    _check_suite_stream(read_events(stream))
    assert not list((tmp_path / "out").glob("*/events*"))  # children wrote to the suite's stream


def test_a_gameday_streams_to_its_stderr_with_dash(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, {**chaos_env, "CHAOSGUARD_EVENTS": "-"}, 1)
    env.pop("CHAOSGUARD_POLICY", None)
    result = gameday_run(env, tmp_path, suite_of_two(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith('{"v":1,')]
    _check_suite_stream([json.loads(line) for line in lines])
    outputs = "".join(p.read_text() for p in (tmp_path / "out").glob("*/output.log"))
    assert '"kind"' not in outputs  # the children's events reached the runner's stderr
    assert os.environ.get("CHAOSGUARD_EVENTS") is None
