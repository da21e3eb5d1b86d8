"""Turn activity arguments into frozen pydantic specs, with one-line errors naming the field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chaosguard.errors import InvalidArgument

M = TypeVar("M", bound=BaseModel)


def first_error(exc: ValidationError) -> InvalidArgument:
    """Convert the first pydantic error into an :class:`InvalidArgument` naming the field."""
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
    msg = str(err.get("msg", "invalid value"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if "input" in err and err.get("type") not in ("missing",):
        shown = repr(err["input"])
        if len(shown) > 60:
            shown = shown[:57] + "..."
        msg = f"{msg} (got {shown})"
    return InvalidArgument(field, msg)


def parse(model: type[M], **values: Any) -> M:
    """Validate ``values`` into ``model``; raise :class:`InvalidArgument` on the first problem."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise first_error(exc) from None
