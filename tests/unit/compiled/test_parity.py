"""The compiled engine accepts only what pydantic accepts, with the same values, fields set and
dumps; it accepts every valid policy; and what it cannot decide it leaves to pydantic."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from chaosguard.compiled.engine import NotFast
from chaosguard.compiled.lite import LiteModel
from chaosguard.compiled.models import compiled
from chaosguard.policy.model import ChaosguardBlock, Policy
from tests.unit.compiled.strategies import guards, valid_guards
from tests.unit.policy.strategies import near_policies, policies


def _same(lite: Any, real: Any) -> None:
    if isinstance(real, BaseModel):
        assert isinstance(lite, LiteModel), (lite, real)
        assert type(lite).__name__ == type(real).__name__
        assert lite.model_fields_set == real.model_fields_set, (lite, real)
        for name in type(real).model_fields:
            _same(getattr(lite, name), getattr(real, name))
    elif isinstance(real, dict):
        assert type(lite) is dict and list(lite) == list(real), (lite, real)
        for key in real:
            _same(lite[key], real[key])
    elif isinstance(real, tuple | list):
        assert type(lite) is type(real), (lite, real)
        for a, b in zip(lite, real, strict=True):
            _same(a, b)
    else:
        assert type(lite) is type(real) and lite == real, (lite, real)


def check(model: type[BaseModel], doc: Any) -> bool:
    """True when the engine decided ``doc`` (and agreed with pydantic), False when it left it."""
    try:
        lite = compiled().validate(model.__name__, doc)
    except NotFast:
        return False
    try:
        real = model.model_validate(doc)
    except ValidationError as exc:
        pytest.fail(f"the engine accepted what pydantic refuses: {doc!r}: {exc}")
    _same(lite, real)
    assert lite.model_dump(mode="json") == real.model_dump(mode="json")
    assert lite.model_dump(mode="json", exclude_none=True) == real.model_dump(
        mode="json", exclude_none=True
    )
    assert lite.model_dump() == real.model_dump()
    assert lite == compiled().validate(model.__name__, doc)
    return True


@settings(max_examples=300)
@given(policies())
def test_every_valid_policy_is_decided_by_the_engine(doc: Any) -> None:
    assert check(Policy, doc)
    assert compiled().validate("Policy", doc).digest() == Policy.model_validate(doc).digest()


@settings(max_examples=300)
@given(near_policies())
def test_policies_with_any_values(doc: Any) -> None:
    check(Policy, doc)


@settings(max_examples=300)
@given(st.one_of(policies(), near_policies()), st.lists(guards(), max_size=3))
def test_blocks_with_guards(policy: Any, specs: list[Any]) -> None:
    doc = {"name": "chaosguard", "policy": policy, "guards": specs}
    if check(ChaosguardBlock, doc):
        block = compiled().validate("ChaosguardBlock", doc)
        real = ChaosguardBlock.model_validate(doc)
        for lite_guard, real_guard in zip(block.guards, real.guards, strict=True):
            assert lite_guard.threshold() == real_guard.threshold()
            assert lite_guard.has_bound == real_guard.has_bound


@settings(max_examples=200)
@given(policies(), st.lists(valid_guards(), max_size=3))
def test_every_valid_block_is_decided_by_the_engine(policy: Any, specs: list[Any]) -> None:
    doc = {"name": "chaosguard", "policy": policy, "guards": specs}
    assert check(ChaosguardBlock, doc)


@pytest.mark.parametrize(
    "doc",
    [
        {"local": {"max_processes": True}},  # bool is not an int to pydantic's strict int
        {"local": {"max_processes": 2.0}},
        {"local": {"max_processes": "2"}},
        {"max_targets": {"count": 1.0}},
        {"max_targets": {"percent": "50"}},
        {"max_targets": {"percent": float("nan")}},
        {"respect_pdb": 1},
        {"respect_pdb": "true"},
        {"guard": {"on_unreadable": "ABORT"}},
        {"guard": {"interval_s": 0.05}},
        {"guard": {"interval_s": True}},
        {"kill_switch": {"configmap": [{"namespace": "ops", "name": "chaos\n", "key": "stop"}]}},
        {"kill_switch": {"configmap": [{"namespace": "ops", "name": "chaos", "key": "stöp"}]}},
        {"namespaces": {"deny": ("kube-system",), "allow": "x", "other": 1}},
        {"windows": [{"start": "10:00", "end": "09:00"}]},
        {"freeze": [{"start": "2026-12-26", "end": "2026-12-24"}]},
        {"unknown": 1},
        ["not", "a", "mapping"],
    ],
)
def test_what_pydantic_might_read_otherwise_is_left_to_it(doc: Any) -> None:
    """Coercions, strictness, newlines before ``$`` (Python's regex matches, pydantic's does not),
    failed checks and unknown keys: the engine never decides these."""
    with pytest.raises(NotFast):
        compiled().validate("Policy", doc)


def test_both_sides_are_exercised() -> None:
    """Documents the engine decides and documents it leaves to pydantic both occur (so the
    property tests above compare something)."""
    decided = check(Policy, {"guard": {"interval_s": 0.5}})
    left = check(Policy, {"guard": {"interval_s": "0.5"}})  # pydantic coerces; the engine won't
    assert (decided, left) == (True, False)
    assert Policy.model_validate({"guard": {"interval_s": "0.5"}}).guard.interval_s == 0.5
