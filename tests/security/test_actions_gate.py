"""Our actions enforce the operator's policy WITHOUT the guard control (issue 9, item 4).

Each test runs a real ``chaos run`` of an experiment that does not name the chaosguard control, with
``$CHAOSGUARD_POLICY`` set by the operator, and checks that the action was refused with one line
naming the policy key, and that nothing changed: no ledger record, no worker, the victim process
still running.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import psutil
import pytest

from tests.e2e.guarded import Result, action, chaos_run, experiment
from tests.helpers import ledger_records, live_fault_processes, python_child, wait_until

pytestmark = pytest.mark.security

STRESS = "chaosguard.actions.stress"
PROCESS = "chaosguard.actions.process"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _unguarded(tmp_path: Path, env: dict[str, str], step: dict, policy: dict) -> Result:
    doc = experiment([step], controls=[])
    return chaos_run(tmp_path, doc, env, policy=policy, timeout=90)


def _failure(res: Result, step: str) -> str:
    """The one-line reason the step failed (its exception's last line)."""
    entry = next(r for r in res.journal["run"] if r["activity"]["name"] == step)
    assert entry["status"] == "failed", entry
    return "".join(entry.get("exception") or []).strip().splitlines()[-1]


def _cpu_step(workers: int = 1) -> dict:
    return action("burn", STRESS, "stress_cpu", workers=workers, load_percent=20, duration_s=5)


def _nothing_injected(home: Path) -> None:
    assert ledger_records(home) == []
    assert live_fault_processes(home) == []


def test_stress_cpu_beyond_max_cpu_workers_is_refused(
    tmp_path: Path, chaos_env: dict[str, str], chaosguard_home: Path
) -> None:
    policy = {"allow_unguarded": True, "local": {"max_cpu_workers": 1}}
    res = _unguarded(tmp_path, chaos_env, _cpu_step(workers=2), policy)
    reason = _failure(res, "burn")
    assert "workers=2 exceeds policy local.max_cpu_workers=1" in reason
    _nothing_injected(chaosguard_home)


@pytest.fixture()
def victim():
    marker = f"cg-victim-secret-{os.getpid()}"
    proc = python_child(f"# {marker}\nimport time\ntime.sleep(120)\n")
    assert wait_until(lambda: marker in " ".join(psutil.Process(proc.pid).cmdline()))
    yield proc, marker
    proc.kill()
    proc.wait()


def test_pause_processes_on_a_denied_process_is_refused_and_it_keeps_running(
    tmp_path: Path, chaos_env: dict[str, str], chaosguard_home: Path, victim
) -> None:
    proc, marker = victim
    # the pattern's text does not match the denied regex; the process it selects does
    pattern = marker.replace("secret", "secre[t]")
    policy = {"allow_unguarded": True, "local": {"deny_process_patterns": [marker]}}
    step = action("freeze", PROCESS, "pause_processes", name_pattern=pattern)
    res = _unguarded(tmp_path, chaos_env, step, policy)
    reason = _failure(res, "freeze")
    assert f"matches denied pattern '{marker}' (policy local.deny_process_patterns)" in reason
    assert psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED
    assert proc.poll() is None
    _nothing_injected(chaosguard_home)


def test_the_kill_switch_refuses_an_unguarded_action(
    tmp_path: Path, chaos_env: dict[str, str], chaosguard_home: Path
) -> None:
    policy = {"allow_unguarded": True, "kill_switch": {"env": ["CG_TEST_STOP_ALL"]}}
    env = {**chaos_env, "CG_TEST_STOP_ALL": "1"}
    res = _unguarded(tmp_path, env, _cpu_step(), policy)
    reason = _failure(res, "burn")
    assert "kill switch is on (env" in reason and "CG_TEST_STOP_ALL" in reason
    _nothing_injected(chaosguard_home)


def test_a_closed_window_refuses_an_unguarded_action(
    tmp_path: Path, chaos_env: dict[str, str], chaosguard_home: Path
) -> None:
    today = DAYS[dt.datetime.now(dt.UTC).weekday()]
    windows = [{"days": [d for d in DAYS if d != today], "timezone": "UTC"}]
    policy = {"allow_unguarded": True, "windows": windows}
    res = _unguarded(tmp_path, chaos_env, _cpu_step(), policy)
    reason = _failure(res, "burn")
    assert "outside every allowed window" in reason and "(policy windows)" in reason
    _nothing_injected(chaosguard_home)


def test_a_freeze_refuses_an_unguarded_action(
    tmp_path: Path, chaos_env: dict[str, str], chaosguard_home: Path
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    freeze = [
        {"start": str(today - dt.timedelta(days=1)), "end": str(today + dt.timedelta(days=1))}
    ]
    policy = {"allow_unguarded": True, "freeze": freeze}
    res = _unguarded(tmp_path, chaos_env, _cpu_step(), policy)
    reason = _failure(res, "burn")
    assert "freeze in force" in reason and "(policy freeze)" in reason
    _nothing_injected(chaosguard_home)


def test_allow_unguarded_false_refuses_outside_a_guarded_run(
    tmp_path: Path, chaos_env: dict[str, str], chaosguard_home: Path, victim
) -> None:
    proc, marker = victim
    step = action("freeze", PROCESS, "pause_processes", name_pattern=marker)
    res = _unguarded(tmp_path, chaos_env, step, {"allow_unguarded": False})
    reason = _failure(res, "freeze")
    assert "outside a guarded run (policy allow_unguarded is false" in reason
    assert psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED
    _nothing_injected(chaosguard_home)


def test_without_any_operator_policy_the_defaults_refuse_outside_a_guarded_run(
    tmp_path: Path, chaos_env: dict[str, str], chaosguard_home: Path
) -> None:
    env = {k: v for k, v in chaos_env.items() if k != "CHAOSGUARD_POLICY"}
    res = chaos_run(tmp_path, experiment([_cpu_step()], controls=[]), env, timeout=90)
    assert "outside a guarded run (policy allow_unguarded is false" in _failure(res, "burn")
    _nothing_injected(chaosguard_home)


def test_within_the_policy_the_unguarded_action_runs(
    tmp_path: Path, chaos_env: dict[str, str], chaosguard_home: Path
) -> None:
    policy = {"allow_unguarded": True, "local": {"max_cpu_workers": 1}}
    doc = experiment(
        [_cpu_step(workers=1)],
        controls=[],
        rollbacks=[action("stop", STRESS, "stop_stress")],
    )
    res = chaos_run(tmp_path, doc, chaos_env, policy=policy, timeout=90)
    entry = next(r for r in res.journal["run"] if r["activity"]["name"] == "burn")
    assert entry["status"] == "succeeded", entry
    assert [r["kind"] for r in ledger_records(chaosguard_home)] == ["cpu-stress"]
    assert wait_until(lambda: live_fault_processes(chaosguard_home) == [], timeout=10)


@pytest.mark.parametrize(("on_window_end", "refused"), [("stop", True), ("finish", False)])
def test_in_a_guarded_run_a_closed_window_refuses_unless_the_operator_lets_runs_finish(
    on_window_end: str, refused: bool
) -> None:
    from chaosguard.errors import Refused
    from chaosguard.policy.active import guarded_run_active, set_active_policy
    from chaosguard.policy.gate import admit
    from chaosguard.policy.model import Policy

    today = DAYS[dt.datetime.now(dt.UTC).weekday()]
    policy = Policy.model_validate(
        {
            "windows": [{"days": [d for d in DAYS if d != today]}],
            "guard": {"on_window_end": on_window_end},
        }
    )
    set_active_policy(policy)  # what the guard does for the length of a guarded run
    try:
        assert guarded_run_active()
        if refused:
            with pytest.raises(Refused, match=r"outside every allowed window .*\(policy windows\)"):
                admit("chaosguard.actions.stress:stress_cpu", {"workers": 1})
        else:
            assert admit("chaosguard.actions.stress:stress_cpu", {"workers": 1}) is policy
    finally:
        set_active_policy(None)
    assert not guarded_run_active()
