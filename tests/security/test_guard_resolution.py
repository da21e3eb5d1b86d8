"""Issue 9 item 1 (wiring): an experiment's own ``policy_file`` never replaces the operator's.

The operator's policy comes from ``$CHAOSGUARD_POLICY`` or from the global wiring (a chaosguard
control in the settings file or ``--control-file``); the experiment's control arguments only make
it stricter. ``chaos guard check`` resolves the same way, so check and run agree.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.guarded import action, chaos_run, experiment, guard_control, value_env
from tests.helpers import ROOT, ledger_records
from tests.security.guard_sources import operator_policy, stopped, victim, write_yaml

pytestmark = [pytest.mark.security, pytest.mark.slow]

PROC = "chaosguard.actions.process"


def _attack(tag: str, loose: str) -> dict:
    method = [action("pause", PROC, "pause_processes", name_pattern=tag, max_processes=1)]
    return experiment(method, controls=[guard_control(policy_file=loose)])


def _files(tmp_path: Path) -> tuple[str, str]:
    strict = write_yaml(
        tmp_path / "operator.yaml", operator_policy(local={"deny_process_patterns": ["cg-victim"]})
    )
    loose = write_yaml(tmp_path / "loose.yaml", operator_policy(allow_unguarded=True))
    return strict, loose


def _check(tmp_path: Path, env: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["chaos", "guard", "check", *args, str(tmp_path / "experiment.yaml")],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_experiment_policy_file_cannot_replace_the_env_policy(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    strict, loose = _files(tmp_path)
    env["CHAOSGUARD_POLICY"] = strict
    with victim() as (proc, tag):
        res = chaos_run(tmp_path, _attack(tag, loose), env)
        assert not stopped(proc)
        assert ledger_records(chaosguard_home) == []
        assert res.rc != 0 and res.guard["outcome"] == "refused", res.stderr[-2000:]
        assert "cg-victim" in res.guard["reason"]
        checked = _check(tmp_path, env)
        assert checked.returncode == 3 and "REFUSED" in checked.stdout, checked.stdout


def test_experiment_policy_file_cannot_replace_the_policy_of_a_global_guard_without_arguments(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    strict, loose = _files(tmp_path)
    env["CHAOSGUARD_POLICY"] = strict
    control_file = write_yaml(
        tmp_path / "control.yaml",
        {"chaosguard": {"provider": {"type": "python", "module": "chaosguard.guard"}}},
    )
    with victim() as (proc, tag):
        res = chaos_run(tmp_path, _attack(tag, loose), env, "--control-file", control_file)
        assert not stopped(proc)
        assert ledger_records(chaosguard_home) == []
        assert res.rc != 0 and res.guard["outcome"] == "refused", res.stderr[-2000:]
        assert "cg-victim" in res.guard["reason"]
        checked = _check(tmp_path, env)
        assert checked.returncode == 3 and "REFUSED" in checked.stdout, checked.stdout


def test_settings_control_policy_is_the_operators(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    env.pop("CHAOSGUARD_POLICY", None)
    strict, loose = _files(tmp_path)
    settings = {
        "controls": {
            "chaosguard": {
                "provider": {
                    "type": "python",
                    "module": "chaosguard.guard",
                    "arguments": {"policy_file": strict},
                }
            }
        }
    }
    with victim() as (proc, tag):
        res = chaos_run(tmp_path, _attack(tag, loose), env, settings=settings)
        assert not stopped(proc)
        assert ledger_records(chaosguard_home) == []
        assert res.rc != 0 and res.guard["outcome"] == "refused", res.stderr[-2000:]


def test_the_game_day_plan_resolves_like_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chaosguard.gameday.launch import control_arguments
    from chaosguard.gameday.suite import suite_from_experiments
    from chaosguard.guard.wiring import run_policy

    monkeypatch.delenv("CHAOSGUARD_POLICY", raising=False)
    monkeypatch.chdir(tmp_path)
    strict, loose = _files(tmp_path)
    doc = _attack("cg-victim-x", loose)
    path = write_yaml(tmp_path / "experiment.yaml", doc)
    gameday = suite_from_experiments([path], policy=strict, check=False)
    planned = gameday.experiments[0].policy
    assert planned == run_policy(strict, doc)
    assert "cg-victim" in planned.local.deny_process_patterns
    assert planned.allow_unguarded is False  # the experiment's loose file loosened nothing
    notes = control_arguments(strict, [], doc)[1]
    assert notes and "stricter" in notes[0] and "used instead" not in notes[0]
