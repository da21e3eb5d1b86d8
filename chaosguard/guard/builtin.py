"""The spec of a guard chaosguard adds itself (the calendar, the kill switch): plain and frozen,
so a run that watches them does not build a pydantic model for them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, cast

from chaosguard.slo.spec_rules import GuardRules

if TYPE_CHECKING:
    from chaosguard.slo.spec import GuardBase

__all__ = ["BuiltinSpec", "builtin_spec"]


@dataclass(frozen=True)
class BuiltinSpec(GuardRules):
    """Every field of :class:`~chaosguard.slo.spec.GuardBase`, for a built-in source whose reading
    is 1 for "stop" and 0 for "go" (so it breaches above ``max`` 0.5)."""

    name: str
    source: str
    max: float | None = 0.5
    min: float | None = None
    for_s: float = 0.0
    timeout_s: float | None = None
    role: str = "slo"
    anomaly: Any = None

    def model_dump(self, *, mode: str = "python", exclude_none: bool = False) -> dict[str, Any]:
        """The fields as a dict, like a guard spec's."""
        out = asdict(self)
        return {k: v for k, v in out.items() if v is not None} if exclude_none else out


def builtin_spec(name: str, source: str) -> GuardBase:
    """The spec of the built-in guard ``name`` reading ``source`` (typed as the guard spec it
    stands for: it has every field and method a check reads)."""
    return cast("GuardBase", BuiltinSpec(name=name, source=source))
