"""Issue 9 item 5 (wiring): what counts as a guard is the operator's call."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.guarded import action, chaos_run, experiment, value_env
from tests.helpers import ledger_records

pytestmark = [pytest.mark.security, pytest.mark.slow]


def test_a_python_guard_from_a_module_the_policy_does_not_allow_refuses_the_run(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    fake = {"name": "always-fine", "source": "python", "func": "os:getpid", "max": 1e8}
    method = [action("stress", "chaosguard.actions.stress", "stress_cpu", workers=1, duration_s=1)]
    res = chaos_run(tmp_path, experiment(method, guards=[fake]), env, policy={})
    assert res.rc != 0 and res.guard["outcome"] == "refused", res.stderr[-2000:]
    assert "python_modules" in res.guard["reason"] and "always-fine" in res.guard["reason"]
    assert ledger_records(chaosguard_home) == []


def test_chaos_guard_check_refuses_the_same_python_guard(tmp_path: Path, chaos_env: dict) -> None:
    import subprocess

    import yaml

    from tests.helpers import ROOT

    fake = {"name": "always-fine", "source": "python", "func": "os:getpid", "max": 1e8}
    method = [action("stress", "chaosguard.actions.stress", "stress_cpu", workers=1, duration_s=1)]
    exp = tmp_path / "experiment.yaml"
    exp.write_text(yaml.safe_dump(experiment(method, guards=[fake])))
    env = {**chaos_env, "PYTHONPATH": str(ROOT)}
    env.pop("CHAOSGUARD_POLICY", None)
    proc = subprocess.run(
        ["chaos", "guard", "check", str(exp)], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "python_modules" in proc.stdout + proc.stderr
