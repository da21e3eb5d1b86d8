"""Which policy file is the operator's: the global wiring's, else $CHAOSGUARD_POLICY."""

from __future__ import annotations

from pathlib import Path

import pytest
from chaoslib.control import get_global_controls, set_global_controls

from chaosguard.guard.session import GuardSession
from chaosguard.guard.wiring import operator_policy_file, own_control_arguments
from chaosguard.policy.load import experiment_policy_files


def _control(module: str = "chaosguard.guard", **arguments: object) -> dict:
    return {
        "name": "chaosguard",
        "provider": {"type": "python", "module": module, "arguments": arguments},
    }


def test_the_experiments_own_control() -> None:
    doc = {
        "controls": [{"name": "other", "provider": {"module": "x"}}, _control(policy_file="l.yaml")]
    }
    assert experiment_policy_files(doc) == ["l.yaml"] and own_control_arguments(doc) == {
        "policy_file": "l.yaml"
    }
    assert experiment_policy_files({"controls": [_control("chaosguard.safety.guard")]}) == []
    assert experiment_policy_files({"controls": "nonsense"}) == []
    assert experiment_policy_files({}) == []


def test_the_operator_file_from_the_settings_or_a_control_file() -> None:
    settings = {"controls": {"chaosguard": _control(policy_file="op.yaml")}}
    assert operator_policy_file(settings) == "op.yaml"
    saved = get_global_controls()
    set_global_controls([_control(policy_file="cf.yaml")])  # what --control-file loads
    try:
        assert operator_policy_file({}) == "cf.yaml"
    finally:
        set_global_controls(saved)
    assert operator_policy_file(None) is None


@pytest.fixture()
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    strict, loose = tmp_path / "strict.yaml", tmp_path / "loose.yaml"
    strict.write_text("local: {max_cpu_workers: 1}\nallow_unguarded: false\n")
    loose.write_text("local: {max_cpu_workers: 64}\nallow_unguarded: true\n")
    monkeypatch.delenv("CHAOSGUARD_POLICY", raising=False)
    return str(strict), str(loose)


def test_the_experiments_policy_file_only_tightens_the_global_one(files: tuple[str, str]) -> None:
    strict, loose = files
    doc = {"title": "t", "method": [], "controls": [_control(policy_file=loose)]}
    session = GuardSession()
    session.configure(doc, {"policy_file": strict}, settings={})  # the global registration
    session.configure(doc, {"policy_file": loose})  # the experiment's own
    assert session.operator_policy_file == strict and not session.config_errors
    assert session.policy is not None
    assert session.policy.local.max_cpu_workers == 1 and session.policy.allow_unguarded is False


def test_the_env_policy_is_the_operators_when_the_global_guard_has_no_arguments(
    files: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    strict, loose = files
    monkeypatch.setenv("CHAOSGUARD_POLICY", strict)
    doc = {"title": "t", "method": [], "controls": [_control(policy_file=loose)]}
    session = GuardSession()
    session.configure(doc, {}, settings={})
    session.configure(doc, {"policy_file": loose})
    assert session.policy is not None and session.policy.local.max_cpu_workers == 1
    assert session.policy.allow_unguarded is False
