"""A guarded ``chaos run`` imports only what its experiment uses: the policy, the guards and the
ledger are decided by the compiled models (:mod:`chaosguard.compiled`), so a run whose documents
they decide never imports pydantic; a document they leave to pydantic still runs the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import guarded
from tests.e2e.guarded import ROOT_EXISTS, experiment, python_guard, value_env
from tests.helpers import allowing_test_helpers

pytestmark = pytest.mark.slow

#: An experiment policy that exercises the merge: windows, a freeze, switches, local limits.
BLOCK_POLICY = {
    "windows": [{"days": ["mon-sun"], "start": "00:00", "end": "23:59", "timezone": "UTC"}],
    "freeze": [{"start": "2001-12-24", "end": "2001-12-26", "timezone": "Europe/Paris"}],
    "kill_switch": {"env": "CG_TEST_STOP_NEVER_SET"},
    "local": {"max_processes": 2, "allow_process_patterns": ["^demo", {"all_of": ["a", "b"]}]},
    "guard": {"interval_s": 0.5, "on_unreadable": "abort"},
}


def _imported(stderr: str) -> set[str]:
    """The modules a ``-X importtime`` run imported (from its stderr)."""
    lines = (line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines())
    return {name for name in lines if name and " " not in name}


def _run(tmp_path: Path, chaos_env: dict[str, str], policy: dict) -> guarded.Result:
    env = {**value_env(tmp_path, chaos_env, 1), "PYTHONPROFILEIMPORTTIME": "1"}
    doc = experiment([ROOT_EXISTS], guards=[python_guard(max=10)], policy=policy)
    return guarded.chaos_run(tmp_path, doc, env, policy=allowing_test_helpers())


def test_a_guarded_run_never_imports_pydantic(tmp_path: Path, chaos_env: dict[str, str]) -> None:
    result = _run(tmp_path, chaos_env, BLOCK_POLICY)
    assert result.rc == 0, result.stderr[-2000:]
    assert result.journal["status"] == "completed"
    assert result.guard["policy"]["guard"]["interval_s"] == 0.5  # the block was merged in
    imported = _imported(result.stderr)
    assert "chaosguard.guard.session" in imported  # the guard ran
    assert "chaosguard.compiled.engine" in imported
    assert sorted(m for m in imported if m.split(".")[0] in ("pydantic", "pydantic_core")) == []


def test_what_the_compiled_models_leave_to_pydantic_runs_alike(
    tmp_path: Path, chaos_env: dict[str, str]
) -> None:
    """``interval_s: "0.5"`` is a string pydantic coerces and the compiled models never decide:
    the run loads pydantic for it, and obeys the same policy."""
    result = _run(tmp_path, chaos_env, {**BLOCK_POLICY, "guard": {"interval_s": "0.5"}})
    assert result.rc == 0, result.stderr[-2000:]
    assert result.journal["status"] == "completed"
    assert result.guard["policy"]["guard"]["interval_s"] == 0.5
    assert "pydantic" in _imported(result.stderr)
