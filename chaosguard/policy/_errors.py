"""Turn a pydantic ``ValidationError`` on a policy or guard document into ONE :class:`InvalidArgument`.

The field path uses dots and list indexes (``policy.windows.0.timezone``); union tags that pydantic
inserts into locations (``window``, ``http`` …) are dropped; unknown keys get a "did you mean".
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from chaosguard.errors import InvalidArgument

__all__ = ["invalid_argument", "short_repr"]

_TAGS = {"window", "all_of", "pattern", "http", "prometheus", "python"}

_MESSAGES = {
    "missing": "required field missing",
    "string_type": "expected a string",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "dict_type": "expected a mapping",
}


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr`` cut to ``limit`` characters."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


_BOUNDS = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}


def _bound(kind: str, ctx: dict[str, Any]) -> str | None:
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        key, sign = _BOUNDS[kind]
        return f"must be {sign} {ctx[key]}"
    return None


def _clean_loc(loc: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and part in _TAGS and i > 0 and isinstance(loc[i - 1], int):
            continue
        out.append(part)
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The first pydantic model inside an annotation (unwrapping Annotated, Optional, tuple, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(root: type[BaseModel] | None, path: list[Any]) -> list[str]:
    """The field names of the model at ``path`` under ``root`` (best effort; [] when unknown)."""
    model = root
    for part in path:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        model = _model_in(field.annotation)
    return sorted(model.model_fields) if model is not None else []


def invalid_argument(
    exc: ValidationError, prefix: str, root: type[BaseModel] | None = None, where: str = ""
) -> InvalidArgument:
    """The first error of ``exc`` as ``InvalidArgument('<prefix>.<path>', '<problem>[ (where)]')``."""
    err = exc.errors(include_url=False)[0]
    loc = _clean_loc(tuple(err.get("loc", ())))
    field = ".".join([prefix, *(str(p) for p in loc)]) if prefix else ".".join(str(p) for p in loc)
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    ctx = err.get("ctx") or {}
    if kind in ("union_tag_invalid", "union_tag_not_found") and "discriminator" in ctx:
        field = f"{field}.{str(ctx['discriminator']).strip(chr(39))}"
        expected = f" ({ctx['expected_tags']})" if "expected_tags" in ctx else ""
        if kind == "union_tag_invalid":
            msg = f"expected one of {ctx.get('expected_tags', '?')} (got {short_repr(ctx.get('tag'))})"
        else:
            msg = f"required field missing{expected}"
    elif kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(root, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1) if loc else []
        msg = "unknown field" + (
            f" (did you mean '{close[0]}'?)"
            if close
            else f" (allowed: {', '.join(allowed)})"
            if allowed
            else ""
        )
    else:
        msg = _bound(kind, ctx) or _MESSAGES.get(kind, msg)
        if kind == "literal_error":
            msg = msg.replace("Input should be", "expected")
        if kind != "missing" and "input" in err:
            msg = f"{msg} (got {short_repr(err['input'])})"
    if where:
        msg = f"{msg} ({where})"
    return InvalidArgument(field or "policy", msg)
