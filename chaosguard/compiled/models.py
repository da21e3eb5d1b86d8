"""The compiled policy and guard models (from :mod:`chaosguard.compiled._artifact`)."""

from __future__ import annotations

from functools import cache

from chaosguard.compiled._artifact import ARTIFACT
from chaosguard.compiled.engine import Compiled

__all__ = ["MODELS", "compiled"]

#: The pydantic models the artifact holds, by the name :meth:`Compiled.validate` takes.
MODELS = {
    "Policy": "chaosguard.policy.model:Policy",
    "ChaosguardBlock": "chaosguard.policy.model:ChaosguardBlock",
}


@cache
def compiled() -> Compiled:
    """The engine over the compiled models (built once per process)."""
    return Compiled(ARTIFACT["schemas"], ARTIFACT["definitions"])
