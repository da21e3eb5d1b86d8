"""The guard's per-action check on activity dicts, ${...} substitution and live process targets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from shutil import which
from typing import Any

import pytest

from chaosguard.errors import Refused
from chaosguard.policy import Policy, check_activity
from chaosguard.policy.foreign import OWN_ACTIVITIES
from chaosguard.policy.model import ActionRules
from tests.helpers import wait_until

POLICY = Policy.model_validate(
    {
        "local": {
            "max_cpu_workers": 2,
            "max_processes": 1,
            "deny_process_patterns": ["cg-activity-denied"],
        }
    }
)


def action(module: str, func: str, **arguments: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": "a",
        "provider": {"type": "python", "module": module, "func": func, "arguments": arguments},
    }


def test_stress_with_substitution() -> None:
    act = action("chaosguard.actions.stress", "stress_cpu", workers="${n}")
    check_activity(POLICY, act)  # unresolved: judged at the action itself
    check_activity(POLICY, act, {"n": 2}, {})
    with pytest.raises(Refused, match=r"workers=4 exceeds policy local\.max_cpu_workers=2"):
        check_activity(POLICY, act, {"n": 4}, {})


def test_probes_pass_foreign_actions_are_refused() -> None:
    """Issue 9: foreign actions (and process probes) need the operator's actions.allow."""
    probe = action("chaosguard.actions.stress", "stress_cpu", workers=64)
    probe["type"] = "probe"
    check_activity(POLICY, probe)
    check_activity(POLICY, {"type": "action", "ref": "elsewhere"})
    with pytest.raises(Refused, match=r"'mypkg\.stress_cpu' is not allowed by policy actions"):
        check_activity(POLICY, action("mypkg", "stress_cpu", workers=64))
    true_action = {"type": "action", "name": "x", "provider": {"type": "process", "path": "true"}}
    with pytest.raises(Refused, match=r"actions\.allow"):
        check_activity(POLICY, true_action)
    allowed = POLICY.model_copy(
        update={"actions": ActionRules(allow=("mypkg:stress_cpu", f"process:{which('true')}"))}
    )
    check_activity(allowed, action("mypkg", "stress_cpu", workers=64))
    check_activity(allowed, true_action)


def test_own_activity_table_matches_the_modules() -> None:
    import importlib
    import pkgutil

    import chaosguard.actions
    import chaosguard.probes

    found = {}
    for package in (chaosguard.actions, chaosguard.probes):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if info.name.rpartition(".")[2].startswith("_"):
                continue  # private helpers are not activities
            module = importlib.import_module(info.name)
            if getattr(module, "__all__", None):
                found[info.name] = frozenset(module.__all__)
    assert found == OWN_ACTIVITIES


def test_process_paths_are_compared_as_resolved(tmp_path: Path) -> None:
    real = which("true")
    assert real is not None
    link = tmp_path / "true"
    link.symlink_to(real)
    policy = Policy.model_validate({"actions": {"allow": [f"process:{real}"]}})
    check_activity(policy, {"type": "probe", "provider": {"type": "process", "path": real}})
    with pytest.raises(Refused, match=rf"add \"process:{link}\""):  # symlinks are not followed
        check_activity(
            policy, {"type": "probe", "provider": {"type": "process", "path": str(link)}}
        )
    with pytest.raises(Refused, match=r"it is not found"):
        check_activity(
            policy, {"type": "action", "provider": {"type": "process", "path": "nope-x"}}
        )


def test_substituted_process_path() -> None:
    real = which("true")
    policy = Policy.model_validate({"actions": {"allow": [f"process:{real}"]}})
    act = {"type": "action", "provider": {"type": "process", "path": "${tool}"}}
    check_activity(policy, act, {"tool": "true"}, {})
    with pytest.raises(Refused):
        check_activity(policy, act, {"tool": "false"}, {})


def test_process_targets_are_resolved_and_judged() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "cg-activity-denied"]
    )
    try:
        assert wait_until(
            lambda: bool(
                subprocess.run(
                    ["pgrep", "-f", "cg-activity-denied"], check=False, capture_output=True
                ).stdout
            )
        )
        act = action(
            "chaosguard.actions.process",
            "signal_processes",
            name_pattern="cg-activity-den",
            max_processes=1,
        )
        with pytest.raises(Refused, match=rf"process {child.pid} \(python"):
            check_activity(POLICY, act)
    finally:
        child.kill()
        child.wait()
