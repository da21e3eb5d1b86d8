"""The one place that turns a pydantic ``ValidationError`` into ONE :class:`InvalidArgument`.

Two entry points, one converter module:

* :func:`parse` / :func:`first_error` — activity arguments (``parse(Spec, **arguments)`` in actions
  and probes): the field path as pydantic gives it (``toxic.latency_ms``; ``arguments`` when empty),
  pydantic's own sentence and the input echoed, e.g. ``invalid argument 'signal': unknown signal
  name or number (got 'SIGNOPE')``.
* :func:`invalid_argument` — documents (policy, guards, game-day suites): the path under a prefix
  with list indexes (``policy.windows.0.timezone``), the union tags pydantic inserts (``window``,
  ``http`` …) dropped, friendly sentences (``must be >= 0.1``, ``expected a whole number``), a "did
  you mean" for unknown keys, and an optional ``(where)`` such as ``(in policy.yaml)``.

Every message is one short line: what echoes user input (a value, an unknown key) is cut to
:data:`ECHO_LIMIT` characters (:func:`short_repr`).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from chaosguard.errors import InvalidArgument

if TYPE_CHECKING:  # pydantic loads with the first model, not with short_repr's callers
    from pydantic import BaseModel, ValidationError
    from pydantic_core import ErrorDetails

__all__ = [
    "ECHO_LIMIT",
    "VALUE_CHECK",
    "VALUE_TYPES",
    "fields_of",
    "first_error",
    "invalid_argument",
    "parse",
    "short_repr",
]

M = TypeVar("M", bound="BaseModel")

#: The attribute under which an action carries the check of its argument values that changes
#: nothing (set by ``chaosguard.actions._args.checked_by``, run by the preflight and ``chaos guard
#: check`` through :mod:`chaosguard.policy.values`).
VALUE_CHECK = "__chaosguard_value_check__"
#: The attribute under which an action carries wider types than its annotations show (a documented
#: form the discovery catalogue cannot show, such as ``signal: str | int``).
VALUE_TYPES = "__chaosguard_value_types__"

#: How much of an echoed value or key a message shows.
ECHO_LIMIT = 60

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

_BOUNDS = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}


def short_repr(value: Any, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters (``...`` marks the cut)."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first(exc: ValidationError) -> ErrorDetails:
    return exc.errors(include_url=False)[0]


# -- activity arguments ---------------------------------------------------------------------------
def first_error(exc: ValidationError) -> InvalidArgument:
    """The first error of ``exc`` as
    ``InvalidArgument('<path>', "<pydantic's sentence> (got <input>)")``."""
    err = _first(exc)
    field = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if "input" in err and err.get("type") != "missing":
        got = short_repr(err["input"])
        if "(got " not in msg and not msg.startswith(got):  # else our sentence already says it
            msg = f"{msg} (got {got})"
    return InvalidArgument(field, msg)


def fields_of(model: type[BaseModel], values: Mapping[str, Any]) -> dict[str, Any]:
    """The items of ``values`` that name a field of ``model`` (an action's arguments → its spec)."""
    return {k: v for k, v in values.items() if k in model.model_fields}


def parse(model: type[M], **values: Any) -> M:
    """Validate ``values`` into ``model``; raise :class:`InvalidArgument` on the first problem."""
    from pydantic import ValidationError

    try:
        return model(**values)
    except ValidationError as exc:
        raise first_error(exc) from None


# -- documents ------------------------------------------------------------------------------------
def _bound(kind: str, ctx: dict[str, Any]) -> str | None:
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        key, sign = _BOUNDS[kind]
        return f"must be {sign} {ctx[key]}"
    return None


def _clean_loc(loc: tuple[int | str, ...]) -> list[int | str]:
    """The location without union tags after a list index, each key cut to :data:`ECHO_LIMIT`."""
    out: list[int | str] = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and part in _TAGS and i > 0 and isinstance(loc[i - 1], int):
            continue
        if isinstance(part, str) and len(part) > ECHO_LIMIT:
            part = part[: ECHO_LIMIT - 3] + "..."
        out.append(part)
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The first pydantic model in an annotation (unwrapping Annotated, Optional, tuple, unions)."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(root: type[BaseModel] | None, path: list[int | str]) -> list[str]:
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


def _unknown_field(root: type[BaseModel] | None, loc: list[int | str]) -> str:
    allowed = _allowed_keys(root, loc[:-1])
    import difflib  # only for an unknown key

    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1) if loc else []
    if close:
        return f"unknown field (did you mean '{close[0]}'?)"
    if allowed:
        return f"unknown field (allowed: {', '.join(allowed)})"
    return "unknown field"


def invalid_argument(
    exc: ValidationError, prefix: str, root: type[BaseModel] | None = None, where: str = ""
) -> InvalidArgument:
    """The first error of ``exc`` as
    ``InvalidArgument('<prefix>.<path>', '<problem>[ (<where>)]')``.

    ``root`` is the validated model (for the "did you mean" of an unknown key); ``where`` is
    appended in parentheses (``in policy.yaml``).
    """
    err = _first(exc)
    loc = _clean_loc(tuple(err.get("loc", ())))
    field = ".".join([prefix, *(str(p) for p in loc)]) if prefix else ".".join(str(p) for p in loc)
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    ctx: dict[str, Any] = err.get("ctx") or {}
    if kind in ("union_tag_invalid", "union_tag_not_found") and "discriminator" in ctx:
        field = f"{field}.{str(ctx['discriminator']).strip(chr(39))}"
        if kind == "union_tag_invalid":
            tags = ctx.get("expected_tags", "?")
            msg = f"expected one of {tags} (got {short_repr(ctx.get('tag'))})"
        else:
            expected = f" ({ctx['expected_tags']})" if "expected_tags" in ctx else ""
            msg = f"required field missing{expected}"
    elif kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif kind == "extra_forbidden":
        msg = _unknown_field(root, loc)
    else:
        msg = _bound(kind, ctx) or _MESSAGES.get(kind, msg)
        if kind == "literal_error":
            msg = msg.replace("Input should be", "expected")
        if kind != "missing" and "input" in err:
            msg = f"{msg} (got {short_repr(err['input'])})"
    if where:
        msg = f"{msg} ({where})"
    return InvalidArgument(field or "policy", msg)
