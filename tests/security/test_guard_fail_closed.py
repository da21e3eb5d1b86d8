"""Issue 9 item 8 (the guard's part): a BaseException from a source is a breach, never a dead
watcher thread and an unguarded run."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.guarded import action, chaos_run, experiment, set_value, value_env
from tests.helpers import ledger_records, live_fault_processes, wait_until
from tests.security.guard_sources import operator_policy

pytestmark = [pytest.mark.security, pytest.mark.slow]


@pytest.fixture()
def upstream() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.mark.parametrize("raise_what", ["exit", "interrupt"])
def test_a_source_raising_a_base_exception_is_a_breach(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path, upstream: str, raise_what: str
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    guard = {
        "name": "hostile",
        "source": "python",
        "func": "tests.security.guard_sources:read_or_exit",
    }
    method = [
        action(
            "proxy",
            "chaosguard.actions.latency",
            "start_latency_proxy",
            name="p",
            listen="127.0.0.1:0",
            upstream=upstream,
            latency_ms=100,
        ),
        action("slow", "tests.security.guard_sources", "slow", seconds=20),
    ]
    policy = operator_policy(guard={"interval_s": 0.2, "on_unreadable": "ignore"})

    def flip() -> None:
        if wait_until(
            lambda: any(r["kind"] == "latency-proxy" for r in ledger_records(chaosguard_home)),
            timeout=60,
        ):
            set_value(env, raise_what)

    threading.Thread(target=flip, daemon=True).start()
    res = chaos_run(tmp_path, experiment(method, guards=[{**guard, "max": 10}]), env, policy=policy)
    assert res.journal["status"] == "aborted" and res.rc != 0, res.stderr[-2000:]
    breach = res.guard["breach"]
    assert breach["guard"] == "hostile"
    assert ("SystemExit" if raise_what == "exit" else "KeyboardInterrupt") in breach["reason"]
    assert breach["reverted"] and live_fault_processes(chaosguard_home) == []
