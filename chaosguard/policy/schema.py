"""JSON Schemas of what users write: the policy file and the experiment's chaosguard block."""

from __future__ import annotations

from typing import Any

from chaosguard.policy.model import ChaosguardBlock, Policy

__all__ = ["all_schemas", "experiment_schema", "policy_schema"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file."""
    schema = Policy.model_json_schema(mode="validation")
    schema["title"] = "chaosguard policy file"
    return {"$schema": _DIALECT, **schema}


def experiment_schema() -> dict[str, Any]:
    """The JSON Schema of the experiment block
    ``extensions: [{name: chaosguard, policy, guards}]``."""
    schema = ChaosguardBlock.model_json_schema(mode="validation")
    schema["title"] = "chaosguard experiment extension"
    return {"$schema": _DIALECT, **schema}


def all_schemas() -> dict[str, Any]:
    """``{"policy": <policy file schema>, "experiment": <experiment block schema>}``."""
    return {"policy": policy_schema(), "experiment": experiment_schema()}
