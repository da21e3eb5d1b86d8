"""The guard's per-action check on activity dicts, ${...} substitution and live process targets."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from chaosguard.errors import Refused
from chaosguard.policy import Policy, check_activity
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


def test_probes_and_foreign_actions_pass() -> None:
    probe = action("chaosguard.actions.stress", "stress_cpu", workers=64)
    probe["type"] = "probe"
    check_activity(POLICY, probe)
    check_activity(POLICY, action("mypkg", "stress_cpu", workers=64))
    check_activity(
        POLICY, {"type": "action", "name": "x", "provider": {"type": "process", "path": "true"}}
    )
    check_activity(POLICY, {"type": "action", "ref": "elsewhere"})


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
