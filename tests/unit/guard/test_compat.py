"""``module: chaosguard.safety.guard`` (the old path experiment files name) is the same control.

The run through ``chaos run`` with the old path is in ``tests/e2e/test_guard_run.py``.
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType

import pytest
from chaoslib.control.python import _level_mapping

import chaosguard.guard.control as control

HOOKS = {
    "configure_control",
    "before_experiment_control",
    "before_activity_control",
    "after_activity_control",
    "after_experiment_control",
    "cleanup_control",
}
#: Every function name Chaos Toolkit 1.19 looks up on a Python control module.
CHAOSLIB_NAMES = {
    *_level_mapping.values(),
    "configure_control",
    "cleanup_control",
    "validate_control",
}


def _public_functions(module: ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and inspect.isfunction(value)
    }


def test_the_control_defines_the_hooks_it_declares() -> None:
    assert set(control.__all__) == HOOKS
    assert _public_functions(control) == HOOKS
    assert HOOKS <= CHAOSLIB_NAMES


@pytest.mark.parametrize("path", ["chaosguard.safety.guard", "chaosguard.guard"])
def test_the_other_paths_expose_exactly_the_same_hook_functions(path: str) -> None:
    module = importlib.import_module(path)
    assert set(module.__all__) == HOOKS
    assert _public_functions(module) == HOOKS
    for name in HOOKS:
        assert getattr(module, name) is getattr(control, name), name
    for name in CHAOSLIB_NAMES - HOOKS:  # what Chaos Toolkit would call is the same everywhere
        assert not hasattr(module, name) and not hasattr(control, name), name
