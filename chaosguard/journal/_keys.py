"""Where the publishers configuration lives (kept apart: checking for it imports nothing heavy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ENV_VAR", "SETTINGS_KEY", "configured"]

#: environment variable naming a YAML file of publishers
ENV_VAR = "CHAOSGUARD_PUBLISHERS"
#: the settings file's block holding ``publishers`` and ``redact``
SETTINGS_KEY = "chaosguard"


def configured(settings: Mapping[str, Any] | None, env: Mapping[str, str]) -> bool:
    """True when ``settings`` or the environment configure any publishing at all."""
    block = settings.get(SETTINGS_KEY) if isinstance(settings, Mapping) else None
    if block is not None and (
        not isinstance(block, Mapping) or "publishers" in block or "redact" in block
    ):
        return True
    return bool(env.get(ENV_VAR))
