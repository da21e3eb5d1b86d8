"""The compiled policy, guard and ledger models (the checked-in ``_artifact.json``), and
the two ways the run path makes instances of them: :func:`validate` for a document, :func:`build`
for values that are already valid. Both ask the engine first and pydantic only when it is unsure,
so a run whose documents the engine decides never imports pydantic.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from chaosguard.compiled.engine import Compiled, NotFast, resolve
from chaosguard.compiled.lite import dump

__all__ = ["ARTIFACT_PATH", "MODELS", "artifact", "build", "compiled", "validate"]

#: The compiled schemas, written by ``python -m chaosguard.compiled.build`` (a test checks they
#: are what the models compile to today).
ARTIFACT_PATH = Path(__file__).with_name("_artifact.json")

#: The pydantic models the artifact holds, by the name :meth:`Compiled.validate` takes.
MODELS = {
    "Policy": "chaosguard.policy.model:Policy",
    "ChaosguardBlock": "chaosguard.policy.model:ChaosguardBlock",
    "FaultRecordModel": "chaosguard.ledger.record_models:FaultRecordModel",
    **{
        line: f"chaosguard.ledger.record_models:{line}"
        for line in (
            "RunLine",
            "OpenLine",
            "UpdateLine",
            "ChangeLine",
            "ChangeFailedLine",
            "CloseLine",
            "EndLine",
        )
    },
}


def artifact() -> dict[str, Any]:
    """The compiled schemas: ``{"schemas": {name: node}, "definitions": {ref: model}}``."""
    data: dict[str, Any] = json.loads(ARTIFACT_PATH.read_bytes())
    return data


@cache
def compiled() -> Compiled:
    """The engine over the compiled models (built once per process)."""
    data = artifact()
    return Compiled(data["schemas"], data["definitions"])


def validate(name: str, document: Any) -> Any:
    """``document`` validated as the model ``name`` (a key of :data:`MODELS`): a compiled
    instance when the engine is sure, else pydantic's answer (its instance, or its
    ``ValidationError``, which the caller turns into a message)."""
    try:
        return compiled().validate(name, document)
    except NotFast:
        return resolve(MODELS[name]).model_validate(document)


def build(ref: str, values: dict[str, Any]) -> Any:
    """An instance of the model ``ref`` (``"module:qualname"`` of its pydantic class) from values
    that are already valid, nested instances included: compiled when the engine is sure (and
    every nested instance is compiled), else pydantic's."""
    try:
        return compiled().validate_ref(ref, values)
    except NotFast:
        return resolve(ref).model_validate(dump(values))
