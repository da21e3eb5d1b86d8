"""Compiled instances behave like frozen pydantic models where chaosguard uses them."""

from __future__ import annotations

import pytest

from chaosguard.compiled.models import compiled
from chaosguard.policy.model import Policy


def test_frozen_compared_by_value_hashable_and_copied() -> None:
    a = compiled().validate("Policy", {"guard": {"interval_s": 0.5}})
    b = compiled().validate("Policy", {"guard": {"interval_s": 0.5}})
    with pytest.raises(AttributeError, match="frozen"):
        a.guard.interval_s = 2.0  # type: ignore[misc]
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != compiled().validate("Policy", {})
    c = a.guard.model_copy(update={"interval_s": 2.0})
    assert (c.interval_s, a.guard.interval_s) == (2.0, 0.5)
    assert c.model_fields_set == {"interval_s"}
    assert repr(a.guard).startswith("GuardSettings(interval_s=0.5, ")


def test_fields_set_are_what_the_document_gave() -> None:
    doc = {"guard": {"interval_s": 0.5}, "local": {}}
    lite, real = compiled().validate("Policy", doc), Policy.model_validate(doc)
    assert lite.model_fields_set == real.model_fields_set == {"guard", "local"}
    assert lite.guard.model_fields_set == real.guard.model_fields_set == {"interval_s"}
    assert lite.namespaces.model_fields_set == frozenset()


def test_a_default_dict_is_not_shared() -> None:
    from chaosguard.compiled.build import compile_models
    from chaosguard.compiled.engine import Compiled
    from chaosguard.ledger.record_models import FaultRecordModel as FaultRecord

    artifact = compile_models(FaultRecord)
    engine = Compiled(artifact["schemas"], artifact["definitions"])
    doc = {"id": "f1", "run_id": "r1", "kind": "k", "spec": {}, "created_at": 1.0, "x": 1}
    one, two = (
        engine.validate("FaultRecordModel", doc),
        engine.validate("FaultRecordModel", dict(doc)),
    )
    one.handles["pid"] = 1
    assert two.handles == {} and FaultRecord.model_validate(doc).handles == {}
    assert "x" not in one.model_dump()  # ignored like pydantic ignores it
