"""The public surface of chaosguard.policy is pinned: the guard and the CLI rely on exactly this."""

from __future__ import annotations

from chaosguard import policy

EXPECTED = {
    "ENV_VAR",
    "RULES",
    "ChaosguardBlock",
    "Check",
    "KillSwitchState",
    "Policy",
    "Target",
    "budget_refusal",
    "check_activity",
    "check_blast_radius",
    "check_local",
    "check_pdb",
    "check_processes",
    "check_python_guard",
    "error_budget_check",
    "experiment_schema",
    "find_block",
    "frozen",
    "kill_switch_state",
    "load_guards",
    "load_policy",
    "merge",
    "next_opening",
    "parse_selector",
    "policy_schema",
    "preflight_checks",
    "preflight_policy",
    "read_document",
    "register_reader",
    "resolve_policy",
    "selector_matches",
    "window_open",
}


def test_exports_are_pinned() -> None:
    assert set(policy.__all__) == EXPECTED
    assert all(hasattr(policy, name) for name in policy.__all__)


def test_importing_the_policy_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, chaosguard.policy, chaosguard.policy.experiment; "
        "print(','.join(m for m in ('httpx', 'psutil', 'kubernetes') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""
