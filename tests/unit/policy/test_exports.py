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


def test_every_export_is_the_object_of_its_module() -> None:
    import importlib

    for name, module in policy._WHERE.items():
        assert getattr(policy, name) is getattr(
            importlib.import_module(f"chaosguard.policy.{module}"), name
        ), name
    assert set(policy._WHERE) == EXPECTED


def _modules_after(code: str) -> set[str]:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(','.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.strip().split(","))


def test_the_package_loads_only_the_modules_a_name_needs() -> None:
    loaded = _modules_after("import chaosguard.policy")
    assert not {m for m in loaded if m.startswith("chaosguard.policy.")}
    loaded = _modules_after("from chaosguard.policy import check_activity")
    assert "chaosguard.policy.activity" in loaded
    for heavy in ("chaosguard.local.processes", "chaosguard.policy.kube_plans", "psutil"):
        assert heavy not in loaded, heavy


def test_merge_is_the_function_whichever_import_comes_first() -> None:
    """Importing the submodule ``chaosguard.policy.merge`` must not turn the package's ``merge``
    into that module (the lazy package keeps the function)."""
    code = (
        "import chaosguard.policy.load\n"
        "import chaosguard.policy.merge\n"
        "from chaosguard.policy import merge, RULES\n"
        "import types\n"
        "assert callable(merge) and not isinstance(merge, types.ModuleType), merge\n"
        "import sys\n"
        "assert merge is sys.modules['chaosguard.policy.merge'].merge\n"
        "import chaosguard.policy as p\n"
        "assert p.merge is merge and RULES\n"
    )
    _modules_after(code)  # check=True: an assertion error fails the test
