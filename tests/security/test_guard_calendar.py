"""Issue 9 item 4 (second half): freezes and the end of the allowed window are watched during the
run: reaching one reverts the faults and stops the run like a breach, unless the policy says
``guard.on_window_end: finish``."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.guarded import action, chaos_run, experiment, value_env
from tests.helpers import live_fault_processes
from tests.security.guard_sources import operator_policy

pytestmark = [pytest.mark.security, pytest.mark.slow]


@pytest.fixture()
def upstream() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def _method(upstream: str, seconds: float) -> list[dict]:
    return [
        action(
            "proxy",
            "chaosguard.actions.latency",
            "start_latency_proxy",
            name="p",
            listen="127.0.0.1:0",
            upstream=upstream,
            latency_ms=100,
        ),
        action("slow", "tests.security.guard_sources", "slow", seconds=seconds),
    ]


def _freeze_soon(seconds: float) -> dict:
    start = datetime.now(UTC) + timedelta(seconds=seconds)
    end = start + timedelta(hours=1)
    fmt = "%Y-%m-%dT%H:%M:%S"
    return {"start": start.strftime(fmt), "end": end.strftime(fmt), "reason": "release"}


def test_a_freeze_reached_during_the_run_reverts_and_stops_it(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path, upstream: str
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    policy = operator_policy(freeze=[_freeze_soon(6)], guard={"interval_s": 0.2})
    res = chaos_run(tmp_path, experiment(_method(upstream, 25)), env, policy=policy)
    assert res.journal["status"] == "aborted" and res.rc != 0, res.stderr[-2000:]
    breach = res.guard["breach"]
    assert breach["guard"] == "time-window" and "freeze" in breach["reason"]
    assert breach["reverted"] and breach["reverted"][0]["kind"] == "latency-proxy"
    assert live_fault_processes(chaosguard_home) == []


def test_finish_lets_the_run_end_past_a_freeze(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path, upstream: str
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    policy = operator_policy(
        freeze=[_freeze_soon(5)], guard={"interval_s": 0.2, "on_window_end": "finish"}
    )
    res = chaos_run(tmp_path, experiment(_method(upstream, 8)), env, policy=policy)
    assert res.rc == 0 and res.guard["outcome"] == "met", res.stderr[-2000:]
    assert live_fault_processes(chaosguard_home) == []
