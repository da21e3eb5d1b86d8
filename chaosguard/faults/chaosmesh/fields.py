"""Small builders shared by the Chaos Mesh specs: numbers as CRD strings, durations, the ``extra`` merge."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from chaosguard.errors import InvalidArgument

__all__ = ["PROTECTED", "duration", "merge_extra", "number"]

#: spec keys chaosguard sets itself: ``extra`` may not change where the fault lands
PROTECTED = ("selector", "mode", "value", "target", "remoteCluster", "duration")


def number(value: float) -> str:
    """``100.0`` → ``"100"``, ``0.5`` → ``"0.5"`` (never an exponent)."""
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def duration(seconds: int) -> dict[str, Any]:
    """``{"duration": "30s"}``, or ``{}`` for 0 (until reverted)."""
    if seconds < 0:
        raise InvalidArgument("duration_s", f"must be >= 0 (0 = until reverted) (got {seconds})")
    return {"duration": f"{seconds}s"} if seconds else {}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _merge(dict(base[key]), value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def merge_extra(
    spec: dict[str, Any], extra: dict[str, Any] | None, protected: Sequence[str] = ()
) -> dict[str, Any]:
    """``spec`` with the user's ``extra`` Chaos Mesh fields merged in (deeply); selection keys refused."""
    if not extra:
        return spec
    if not isinstance(extra, dict):
        raise InvalidArgument(
            "extra", f"expected a mapping of Chaos Mesh spec fields (got {type(extra).__name__})"
        )
    for key in (*PROTECTED, *protected):
        if key in extra:
            raise InvalidArgument(
                "extra",
                f"may not set '{key}' (chaosguard sets it from its own "
                "arguments, under the policy's blast-radius rules)",
            )
    return _merge(copy.deepcopy(spec), extra)
