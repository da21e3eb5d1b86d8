"""Issue 9 item 7 (the guard's part): the run applies the validation ``chaos guard check``
applies (under a GLOBAL guard, the experiment declaring no control of its own), a failed rollback
fails the run, and the journal names the kill switch when it stopped the run."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.guarded import (
    ROOT_EXISTS,
    Result,
    action,
    chaos_run,
    experiment,
    later,
    value_env,
)
from tests.helpers import ledger_records, live_fault_processes, wait_until
from tests.security.guard_sources import operator_policy, victim, write_yaml

pytestmark = [pytest.mark.security, pytest.mark.slow]

PROBE = {**ROOT_EXISTS, "tolerance": True}
GLOBAL = {
    "controls": {"chaosguard": {"provider": {"type": "python", "module": "chaosguard.guard"}}}
}


@pytest.fixture()
def upstream() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def _global_run(tmp_path: Path, chaos_env: dict, doc: dict) -> Result:
    env = value_env(tmp_path, chaos_env, 1)
    env["CHAOSGUARD_POLICY"] = write_yaml(tmp_path / "operator.yaml", operator_policy())
    return chaos_run(tmp_path, doc, env, settings=GLOBAL)


def test_an_action_in_the_hypothesis_is_refused_under_the_global_guard(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    with victim() as (_, tag):
        pause = action("pause", "chaosguard.actions.process", "pause_processes", name_pattern=tag)
        doc = experiment([PROBE], hypothesis=[PROBE, {**pause, "tolerance": True}], controls=[])
        res = _global_run(tmp_path, chaos_env, doc)
    assert res.rc != 0 and res.guard["outcome"] == "refused", res.stderr[-2000:]
    assert "hypothesis" in res.guard["reason"] and ledger_records(chaosguard_home) == []


def test_an_empty_method_is_refused_under_the_global_guard(tmp_path: Path, chaos_env: dict) -> None:
    res = _global_run(tmp_path, chaos_env, experiment([], controls=[]))
    assert res.rc != 0 and res.guard["outcome"] == "refused", res.stderr[-2000:]
    assert "method" in res.guard["reason"]


def test_a_title_that_is_not_a_string_is_refused_under_the_global_guard(
    tmp_path: Path, chaos_env: dict
) -> None:
    doc = {**experiment([PROBE], controls=[]), "title": 5}
    res = _global_run(tmp_path, chaos_env, doc)
    assert res.rc != 0 and res.guard["outcome"] == "refused", res.stderr[-2000:]
    assert "title" in res.guard["reason"]


def test_a_failed_rollback_fails_the_run(tmp_path: Path, chaos_env: dict) -> None:
    """The bad value comes from the configuration: a literal one is refused by the preflight
    before anything runs (tests/unit/policy/test_values.py)."""
    broken = action("stop", "chaosguard.actions.stress", "stop_stress", kind="${stop_kind}")
    doc = {**experiment([PROBE], rollbacks=[broken]), "configuration": {"stop_kind": "abc"}}
    env = value_env(tmp_path, chaos_env, 1)
    res = chaos_run(tmp_path, doc, env, policy=operator_policy())
    assert res.rc != 0 and res.journal["status"] == "failed", res.stderr[-2000:]
    assert res.guard["outcome"] == "rollback-failed"
    assert res.guard["reason"].startswith("rollback 'stop' failed")


def test_the_journal_names_the_kill_switch_that_stopped_the_run(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path, upstream: str
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    switch = tmp_path / "STOP"
    policy = operator_policy(kill_switch={"file": [str(switch)]}, guard={"interval_s": 0.2})
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

    def flip() -> None:
        if wait_until(
            lambda: any(r["kind"] == "latency-proxy" for r in ledger_records(chaosguard_home)),
            timeout=60,
        ):
            switch.write_text("on")

    later(0, flip)
    res = chaos_run(tmp_path, experiment(method), env, policy=policy)
    assert res.journal["status"] == "aborted", res.stderr[-2000:]
    breach = res.guard["breach"]
    assert breach["guard"] == "kill-switch" and "objective violated" not in breach["reason"]
    assert "kill switch on" in breach["reason"] and str(switch) in breach["reason"]
    assert "kill switch" in res.guard["reason"]
    assert live_fault_processes(chaosguard_home) == []
