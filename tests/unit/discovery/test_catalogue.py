"""The ``chaos discover`` catalogue is generated from the package tree and matches the code."""

from __future__ import annotations

import importlib
import inspect

import pytest

import chaosguard
from chaosguard._discovery import ACTION_PACKAGE, PROBE_PACKAGE, activity_modules
from chaosguard.faults import KINDS, FaultKind, kind

SIMPLE = {str, int, float, bool, dict, list}


def _activities() -> list[dict]:
    return chaosguard.discover(discover_system=False)["activities"]


def test_every_exported_function_is_listed_once_with_the_right_type() -> None:
    listed = {(a["mod"], a["name"]): a["type"] for a in _activities()}
    expected = {}
    for package, typ in ((ACTION_PACKAGE, "action"), (PROBE_PACKAGE, "probe")):
        for mod_name in activity_modules(package):
            mod = importlib.import_module(mod_name)
            for name in mod.__all__:
                expected[(mod_name, name)] = typ
    assert listed == expected
    assert len(listed) >= 10


@pytest.mark.parametrize("activity", _activities(), ids=lambda a: f"{a['mod']}.{a['name']}")
def test_signatures_are_simple_documented_and_end_with_configuration(activity: dict) -> None:
    func = getattr(importlib.import_module(activity["mod"]), activity["name"])
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    assert [p.name for p in params[-2:]] == ["configuration", "secrets"]
    for p in params:
        assert p.kind is p.POSITIONAL_OR_KEYWORD, p.name
        assert p.annotation in SIMPLE, f"{p.name}: {p.annotation}"
        assert p.name in ("configuration", "secrets") or f":param {p.name}:" in (
            func.__doc__ or ""
        ), f"{activity['name']} does not document {p.name}"
    assert all(arg.get("type") not in (None, "object") for arg in activity["arguments"])


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_registered_fault_kind_meets_the_contract(name: str) -> None:
    k = kind(name)
    assert isinstance(k, FaultKind)
    assert k.name == name
    assert getattr(k.Spec, "model_config", {}).get("frozen") is True
