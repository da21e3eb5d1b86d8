"""The guard through ``chaos run``: preflight refusals, abort on breach, rollbacks, exit status.

The SLO source here is a Python callable reading a number the test controls; the Prometheus-backed
scenarios are in ``tests/integration/slo``. Faults are real (a latency proxy process, a paused
process).
"""

from __future__ import annotations

import glob
import os
import socket
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.e2e import guarded
from tests.e2e.guarded import (
    GUARD_CONTROL,
    ROOT_EXISTS,
    Result,
    action,
    experiment,
    guard_control,
    probe,
    python_guard,
    set_value,
    value_env,
)
from tests.helpers import allowing_test_helpers, ledger_records, live_fault_processes, wait_until

pytestmark = pytest.mark.slow
LAT = "chaosguard.actions.latency"
WAIT = "tests.guard_values"


def chaos_run(tmp_path: Path, doc: dict, env: dict, *extra: str, **kwargs: Any) -> Result:
    """:func:`tests.e2e.guarded.chaos_run` under an operator policy allowing the test helpers
    (:data:`tests.helpers.TEST_ALLOWS`) plus the test's own ``policy``."""
    policy = allowing_test_helpers(kwargs.pop("policy", None))
    return guarded.chaos_run(tmp_path, doc, env, *extra, policy=policy, **kwargs)


@pytest.fixture()
def upstream() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def _long_wait_started() -> bool:
    return bool(glob.glob(f"/tmp/cg-wait-{os.getpid()}-*"))


@pytest.fixture(autouse=True)
def _clean_markers() -> None:
    yield
    for path in glob.glob(f"/tmp/cg-wait-{os.getpid()}-*"):
        os.unlink(path)


def _proxy_method(upstream: str, wait_s: float = 30) -> list[dict]:
    marker = f"/tmp/cg-wait-{os.getpid()}-{uuid.uuid4().hex}"
    return [
        action(
            "proxy",
            LAT,
            "start_latency_proxy",
            name="p",
            listen="127.0.0.1:0",
            upstream=upstream,
            latency_ms=100,
        ),
        action("long-wait", WAIT, "wait", seconds=wait_s, marker=marker),
    ]


def _when_fault_open(home: Path, then) -> threading.Thread:
    """Flip the SLO once the proxy is in the ledger and the long action has started."""

    def run() -> None:
        if wait_until(
            lambda: any(r["kind"] == "latency-proxy" for r in ledger_records(home)), timeout=60
        ) and wait_until(_long_wait_started, timeout=60):
            then()

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th


def test_already_breached_slo_refuses_before_anything(
    tmp_path: Path, chaos_env: dict, upstream: str, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 50)
    res = chaos_run(tmp_path, experiment(_proxy_method(upstream)), env)
    assert res.rc == 1
    assert res.journal["status"] == "failed"
    assert res.guard["outcome"] == "refused"
    assert "already breached" in res.guard["reason"] and "value" in res.guard["reason"]
    assert res.journal["run"] == []
    assert ledger_records(chaosguard_home) == []


def test_bad_value_in_a_later_action_refuses_before_the_first_injects(
    tmp_path: Path, chaos_env: dict, upstream: str, chaosguard_home: Path
) -> None:
    """Types AND values of every action are judged in the preflight: a memory stress of -5 MiB
    in the second action refuses the run before the proxy of the first one starts."""
    env = value_env(tmp_path, chaos_env, 1)
    method = [
        *_proxy_method(upstream)[:1],
        action("mem", "chaosguard.actions.stress", "stress_memory", mib=-5),
    ]
    res = chaos_run(tmp_path, experiment(method), env)
    assert res.rc == 1 and res.journal["status"] == "failed"
    assert res.guard["outcome"] == "refused"
    assert res.guard["reason"] == (
        "the experiment is invalid: method[1].provider.arguments.mib: "
        "must be a positive number of MiB (got -5)"
    )
    assert res.journal["run"] == []
    assert ledger_records(chaosguard_home) == []
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("strategy", ["default", "always", "never", "deviated"])
def test_breach_reverts_cuts_the_action_short_and_rollbacks_run(
    strategy: str, tmp_path: Path, chaos_env: dict, upstream: str, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    root_exists = {**ROOT_EXISTS, "tolerance": True}
    doc = experiment(
        _proxy_method(upstream),
        guards=[python_guard(max=10)],
        hypothesis=[root_exists],
        rollbacks=[action("stop-proxy", LAT, "stop_latency_proxy", name="p")],
    )
    doc["extensions"][0]["policy"] = {"guard": {"interval_s": 0.2}}
    _when_fault_open(chaosguard_home, lambda: set_value(env, 99))
    res = chaos_run(tmp_path, doc, env, "--rollback-strategy", strategy)
    assert res.rc == 1, res.stderr[-2000:]
    assert res.journal["status"] == "aborted"
    g = res.guard
    assert (
        g["outcome"] == "aborted" and g["breach"]["guard"] == "value" and g["breach"]["value"] == 99
    )
    assert g["breach"]["faults_reverted_at"] <= g["breach"]["abort_issued_at"]
    assert [r["kind"] for r in g["breach"]["reverted"]] == ["latency-proxy"]
    waited = next(r for r in res.journal["run"] if r["activity"]["name"] == "long-wait")
    assert "status" not in waited or waited["status"] != "succeeded"  # cut short, not completed
    assert res.journal["duration"] < 30  # the 30 s action did not run to its end
    assert [r["activity"]["name"] for r in res.journal["rollbacks"]] == ["stop-proxy"]
    assert all(r["closed_at"] for r in g["ledger"])
    assert live_fault_processes(chaosguard_home) == []
    assert any(r["value"] == 99 and r["breached"] for r in g["readings"])
    recheck = g["steady_state_after_abort"]
    assert (
        recheck["steady_state_met"] is True
        and recheck["probes"][0]["activity"]["name"] == "root-exists"
    )


def test_breach_without_rollbacks_still_reverts(
    tmp_path: Path, chaos_env: dict, upstream: str, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    _when_fault_open(
        chaosguard_home, lambda: Path(env["CG_TEST_VALUE_FILE"]).unlink()
    )  # unreadable
    res = chaos_run(tmp_path, experiment(_proxy_method(upstream)), env)
    assert res.journal["status"] == "aborted"
    assert res.guard["breach"]["value"] is None and "No such file" in res.guard["breach"]["reason"]
    assert live_fault_processes(chaosguard_home) == []


def test_kill_switch_file_flipped_mid_run_aborts(
    tmp_path: Path, chaos_env: dict, upstream: str, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    switch = tmp_path / "STOP"
    policy = {"kill_switch": {"file": [str(switch)]}, "guard": {"interval_s": 0.2}}
    _when_fault_open(chaosguard_home, lambda: switch.write_text("on"))
    res = chaos_run(tmp_path, experiment(_proxy_method(upstream)), env, policy=policy)
    assert res.journal["status"] == "aborted"
    assert res.guard["breach"]["guard"] == "kill-switch"
    assert live_fault_processes(chaosguard_home) == []
    again = chaos_run(tmp_path, experiment(_proxy_method(upstream)), env, policy=policy)
    assert again.guard["outcome"] == "refused" and "kill switch" in again.guard["reason"]


def test_policy_violation_refuses_the_action_before_injection(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    sleepers = [subprocess.Popen(["sleep", "257.0257"]) for _ in range(2)]
    try:
        method = [
            action(
                "pause",
                "chaosguard.actions.process",
                "pause_processes",
                name_pattern=r"^sleep 257\.0257$",
                max_processes=5,
            )
        ]
        res = chaos_run(tmp_path, experiment(method), env, policy={"local": {"max_processes": 1}})
        assert res.rc == 1 and res.journal["status"] == "failed"
        assert res.guard["outcome"] == "refused" and "max_processes" in res.guard["reason"]
        assert all(psutil.Process(p.pid).status() != psutil.STATUS_STOPPED for p in sleepers)
        assert ledger_records(chaosguard_home) == []
    finally:
        for p in sleepers:
            p.kill()
            p.wait()


def test_unguarded_experiment_is_refused_by_default(
    tmp_path: Path, chaos_env: dict, upstream: str
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    res = chaos_run(tmp_path, experiment(_proxy_method(upstream, 0.1), guards=[]), env)
    assert res.guard["outcome"] == "refused" and "no guards" in res.guard["reason"]
    ok = chaos_run(
        tmp_path,
        experiment(_proxy_method(upstream, 0.1), guards=[]),
        env,
        policy={"allow_unguarded": True},
    )
    assert ok.rc == 0 and ok.guard["outcome"] == "met", ok.stderr[-2000:]


def test_failed_action_fails_the_run(tmp_path: Path, chaos_env: dict) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    res = chaos_run(tmp_path, experiment([action("boom", WAIT, "fail")]), env)
    assert res.rc == 1 and res.journal["status"] == "failed"
    assert res.guard["outcome"] == "action-failed"
    assert res.guard["reason"] == "action 'boom' failed: RuntimeError: this action fails on purpose"


def test_unmet_steady_state_before_the_method_fails_the_run(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path, upstream: str
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    unmet = {**probe("always-false", "os.path", "exists", path="/nonexistent"), "tolerance": True}
    res = chaos_run(tmp_path, experiment(_proxy_method(upstream, 0.1), hypothesis=[unmet]), env)
    assert res.rc == 1 and res.journal["status"] == "failed"
    assert res.guard["outcome"] == "steady-state-unmet"
    assert ledger_records(chaosguard_home) == []


def test_global_wiring_keeps_working_with_experiment_controls(
    tmp_path: Path, chaos_env: dict, upstream: str, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    other = {"name": "noop", "provider": {"type": "python", "module": "tests.guard_values"}}
    doc = experiment(_proxy_method(upstream), controls=[other])
    settings = {"controls": {"chaosguard": {"provider": GUARD_CONTROL["provider"]}}}
    _when_fault_open(chaosguard_home, lambda: set_value(env, 99))
    res = chaos_run(tmp_path, doc, env, settings=settings)
    assert res.journal["status"] == "aborted", res.stderr[-3000:]
    assert res.guard["breach"]["guard"] == "value"
    assert live_fault_processes(chaosguard_home) == []


def test_wired_twice_guards_once(tmp_path: Path, chaos_env: dict, upstream: str) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    settings = {"controls": {"chaosguard": {"provider": GUARD_CONTROL["provider"]}}}
    res = chaos_run(tmp_path, experiment(_proxy_method(upstream, 0.2)), env, settings=settings)
    assert res.rc == 0 and res.guard["outcome"] == "met", res.stderr[-2000:]
    assert len(res.guard["preflight"]) == 1


def test_breach_during_rollbacks_reverts_but_lets_them_finish(
    tmp_path: Path, chaos_env: dict, upstream: str, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    method = [
        action(
            "proxy",
            LAT,
            "start_latency_proxy",
            name="p",
            listen="127.0.0.1:0",
            upstream=upstream,
            latency_ms=100,
        )
    ]
    marker = f"/tmp/cg-wait-{os.getpid()}-{uuid.uuid4().hex}"
    rollbacks = [
        action("slow-rollback", WAIT, "wait", seconds=1.5, marker=marker),
        action("stop-proxy", LAT, "stop_latency_proxy", name="p"),
    ]
    doc = experiment(method, rollbacks=rollbacks)
    doc["extensions"][0]["policy"] = {"guard": {"interval_s": 0.2}}
    threading.Thread(
        target=lambda: wait_until(_long_wait_started, timeout=60) and set_value(env, 99),
        daemon=True,
    ).start()
    res = chaos_run(tmp_path, doc, env)
    assert res.guard["breach"]["guard"] == "value"  # seen during the rollbacks, faults reverted...
    assert [r["kind"] for r in res.guard["breach"]["reverted"]] == ["latency-proxy"]
    assert [(r["activity"]["name"], r["status"]) for r in res.journal["rollbacks"]] == [
        ("slow-rollback", "succeeded"),
        ("stop-proxy", "succeeded"),
    ]  # ...and the rollbacks not cut short
    assert live_fault_processes(chaosguard_home) == []


@pytest.mark.parametrize("module", ["chaosguard.safety.guard", "chaosguard.guard"])
def test_both_module_paths_guard_a_run(module: str, tmp_path: Path, chaos_env: dict) -> None:
    """Experiment files that name the old path (``chaosguard.safety.guard``) keep working."""
    env = value_env(tmp_path, chaos_env, 1)
    doc = experiment(
        [action("short-wait", WAIT, "wait", seconds=0.3)],
        policy={"guard": {"interval_s": 0.1}},
        controls=[guard_control(module)],
    )
    res = chaos_run(tmp_path, doc, env)
    assert res.rc == 0 and res.journal["status"] == "completed", res.stderr[-2000:]
    g = res.guard
    assert g["outcome"] == "met" and g["reason"] is None and g["breach"] is None
    assert [r["guard"] for r in g["preflight"]] == ["value"]
    assert g["readings"] and all(r["value"] == 1 for r in g["readings"])
    assert g["lock"]["scope"].startswith("host:") and g["run_id"]
