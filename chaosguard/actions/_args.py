"""Check the TYPE of every argument of an activity against its signature, before it acts.

Chaos Toolkit hands activities what the experiment file says, untyped. :func:`check_types` builds
(once per function) a strict pydantic model from the signature: ``int`` takes whole numbers only
(no ``true``, no ``"3"``, no ``2.5``), ``float`` takes numbers (not booleans or strings), ``str``
strings, ``bool`` booleans, ``dict``/``list`` mappings/lists; a parameter whose default is
``None`` also takes null. ``configuration`` and ``secrets`` are Chaos Toolkit's and not checked.
The first wrong argument is ONE :class:`~chaosguard.errors.InvalidArgument` naming it, e.g.
``invalid argument 'max_processes': Input should be a valid integer (got 'abc')``. Ranges and
meaning stay with each kind's spec.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from chaosguard.errors import InvalidArgument
from chaosguard.validation import VALUE_CHECK, VALUE_TYPES, first_error, short_repr

__all__ = ["check_types", "checked_by"]

F = TypeVar("F", bound=Callable[..., Any])

_SKIPPED = frozenset({"configuration", "secrets"})
_NAMES = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    dict: "a mapping",
    list: "a list",
    type(None): "null",
}


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", arbitrary_types_allowed=True)


@functools.cache
def _model(func: Callable[..., Any], overrides: tuple[tuple[str, Any], ...]) -> type[BaseModel]:
    special = dict(overrides)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(func).parameters.items():
        if name in _SKIPPED:
            continue
        annotation = special.get(name, param.annotation)
        if annotation is inspect.Parameter.empty:
            annotation = Any
        if param.default is None:
            annotation = annotation | None
        fields[name] = (annotation, ... if param.default is inspect.Parameter.empty else None)
    return create_model(f"{func.__name__}_arguments", __base__=_Strict, **fields)


def check_types(func: Callable[..., Any], values: Mapping[str, Any], **overrides: Any) -> None:
    """Raise :class:`~chaosguard.errors.InvalidArgument` naming the first argument of ``func``
    whose value in ``values`` (its ``locals()``) has the wrong type.

    :param overrides: a wider type for a parameter than its annotation says, besides those the
        action declared with :func:`checked_by`.
    """
    overrides = {**getattr(func, VALUE_TYPES, {}), **overrides}
    model = _model(func, tuple(sorted(overrides.items(), key=lambda kv: kv[0])))
    arguments = {k: v for k, v in values.items() if k not in _SKIPPED}
    try:
        model.model_validate(arguments)
    except ValidationError as exc:
        loc = exc.errors(include_url=False)[0].get("loc", ())
        if len(loc) > 1 and isinstance(loc[0], str):  # a union (``str | int``, ``dict | None``)
            field = loc[0]
            annotation = model.model_fields[field].annotation
            members = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
            wanted = " or ".join(_NAMES.get(m, getattr(m, "__name__", str(m))) for m in members)
            raise InvalidArgument(
                field, f"expected {wanted} (got {short_repr(arguments.get(field))})"
            ) from None
        raise first_error(exc) from None


def _is_union(annotation: Any) -> bool:
    return isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union


def checked_by(check: Callable[[dict[str, Any]], object], **types: Any) -> Callable[[F], F]:
    """Give an action ``check``: its argument values (all of them, defaults filled in) → their
    spec, raising :class:`~chaosguard.errors.InvalidArgument` naming the first bad one, changing
    nothing and reading nothing remote, made of what the action itself runs before it acts. The
    preflight of a guarded run and ``chaos guard check`` run it for every activity before the first
    one acts (:mod:`chaosguard.policy.values`). The function itself is returned unchanged.

    :param types: a wider type for a parameter than its annotation says (``signal=str | int``: a
        documented form the discovery catalogue cannot show), for :func:`check_types` and the
        preflight alike."""

    def attach(func: F) -> F:
        setattr(func, VALUE_CHECK, check)
        if types:
            setattr(func, VALUE_TYPES, types)
        return func

    return attach
