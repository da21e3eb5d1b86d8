"""Validate a document against a compiled model, or say :class:`NotFast` and let pydantic answer.

A compiled schema is pydantic-core's schema as plain data (see :mod:`chaosguard.compiled.build`):
dicts with a ``type``, where functions are named ``"module:qualname"``. The engine accepts a value
only where pydantic certainly gives the same result: exact types (no coercion from strings, no
``1.0`` for an ``int``), every constraint checked, the same validator functions called. Anything
else (a missing field, an unknown key, a failed check, a union it cannot decide) raises
:class:`NotFast`; it never makes an error message of its own.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from chaosguard.compiled.lite import LiteModel
from chaosguard.errors import ChaosGuardError

__all__ = ["Compiled", "NotFast"]


class NotFast(ChaosGuardError):
    """The engine is not sure: validate with pydantic instead (it gives the value or the error).

    Internal: every caller catches it and asks pydantic, so no user ever sees it."""

    def __init__(self, message: str = "the compiled validator is unsure; pydantic decides") -> None:
        super().__init__(message)


@cache
def resolve(ref: str) -> Any:
    """The object a ``"module:qualname"`` names."""
    module, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class Compiled:
    """The compiled schemas of one artifact: validate a value against any of its models."""

    def __init__(self, schemas: dict[str, Any], definitions: dict[str, Any]) -> None:
        self._schemas = schemas
        self._definitions = definitions
        self._classes: dict[str, type[LiteModel]] = {}
        self._defaults: dict[int, Any] = {}

    def validate(self, model: str, value: Any) -> Any:
        """``value`` validated as the compiled model named ``model``; :class:`NotFast` if unsure."""
        return self._node(self._schemas[model], value)

    def validate_ref(self, ref: str, value: Any) -> Any:
        """``value`` validated as the model ``ref`` (``"module:qualname"`` of its pydantic class);
        :class:`NotFast` if unsure or if the artifact does not hold that model."""
        if ref not in self._definitions:
            raise NotFast
        return self._model({"ref": ref}, value)

    def lite_class(self, ref: str) -> type[LiteModel]:
        """The run-time class of the model ``ref`` (the pydantic class's pydantic-free bases and
        :class:`LiteModel`)."""
        cls = self._classes.get(ref)
        if cls is None:
            spec = self._definitions[ref]
            bases = tuple(resolve(b) for b in spec["mixins"])
            namespace = {
                "__slots__": (),
                "__module__": "chaosguard.compiled",
                "model_ref": ref,
                "field_names": tuple(spec["fields"]),
            }
            cls = type(spec["name"], (*bases, LiteModel), namespace)
            self._classes[ref] = cls
        return cls

    # -- one node of a schema ---------------------------------------------------------------
    def _node(self, node: dict[str, Any], value: Any) -> Any:
        handler: Callable[[Compiled, dict[str, Any], Any], Any] = _HANDLERS[node["type"]]
        return handler(self, node, value)

    def _model(self, node: dict[str, Any], value: Any) -> Any:
        cls = self.lite_class(node["ref"])
        if isinstance(value, cls):
            return value
        if type(value) is not dict:
            raise NotFast
        spec = self._definitions[node["ref"]]
        fields: dict[str, Any] = spec["fields"]
        if spec["forbid"] and any(key not in fields for key in value):
            raise NotFast
        values = {}
        for name, field in fields.items():
            if name in value:
                values[name] = self._node(field, value[name])
            elif field["type"] == "default":
                values[name] = self._default(field)
            else:
                raise NotFast
        instance = cls(values, frozenset(k for k in value if k in fields))
        for ref in spec["after"]:
            instance = _call(ref, instance)
        return instance

    def _default(self, node: dict[str, Any]) -> Any:
        if node.get("copy"):  # a mutable default ({} or []): never shared between instances
            return type(node["default"])(node["default"])
        key = id(node)
        if key not in self._defaults:
            value = tuple(node["default"]) if node.get("tuple") else node["default"]
            self._defaults[key] = (
                self._node(node["schema"], value) if node.get("validate") else value
            )
        return self._defaults[key]


def _call(ref: str, value: Any) -> Any:
    try:
        return resolve(ref)(value)
    except (ValueError, AssertionError, TypeError):
        raise NotFast from None


def _default(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    return engine._node(node["schema"], value)


def _nullable(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    return None if value is None else engine._node(node["schema"], value)


def _str(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    if type(value) is not str or not value.isascii() or "\n" in value:
        raise NotFast
    if not node.get("min_length", 0) <= len(value) <= node.get("max_length", len(value)):
        raise NotFast
    if "pattern" in node and not _regex(node["pattern"]).search(value):
        raise NotFast
    return value


def _bounds(node: dict[str, Any], value: float) -> None:
    if (
        ("ge" in node and not value >= node["ge"])
        or ("gt" in node and not value > node["gt"])
        or ("le" in node and not value <= node["le"])
        or ("lt" in node and not value < node["lt"])
    ):
        raise NotFast


def _int(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    if type(value) is not int:
        raise NotFast
    _bounds(node, value)
    return value


def _float(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    if type(value) is int and not node.get("strict"):
        value = float(value)
    if type(value) is not float or not math.isfinite(value):
        raise NotFast
    _bounds(node, value)
    return value


def _bool(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    if type(value) is not bool:
        raise NotFast
    return value


def _literal(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    for expected in node["expected"]:
        if type(expected) is type(value) and expected == value:
            return expected
    raise NotFast


def _tuple(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    if type(value) is not tuple and (node.get("strict") or type(value) is not list):
        raise NotFast
    if not node.get("min_length", 0) <= len(value) <= node.get("max_length", len(value)):
        raise NotFast
    return tuple(engine._node(node["items"], item) for item in value)


def _list(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    if type(value) is not list:
        raise NotFast
    if not node.get("min_length", 0) <= len(value) <= node.get("max_length", len(value)):
        raise NotFast
    return [engine._node(node["items"], item) for item in value]


def _dict(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    if type(value) is not dict:
        raise NotFast
    return {
        engine._node(node["keys"], k): engine._node(node["values"], v) for k, v in value.items()
    }


def _any(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    return value


def _before(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    return engine._node(node["schema"], _call(node["function"], value))


def _after(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    return _call(node["function"], engine._node(node["schema"], value))


def _plain(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    return _call(node["function"], value)


def _tagged(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    disc = node["discriminator"]
    if disc.startswith("field:"):
        if type(value) is not dict:
            raise NotFast
        tag = value.get(disc.removeprefix("field:"))
    else:
        tag = _call(disc, value)
    if type(tag) is not str or tag not in node["choices"]:
        raise NotFast
    return engine._node(node["choices"][tag], value)


def _union(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    results = []
    for choice in node["choices"]:
        try:
            results.append(engine._node(choice, value))
        except NotFast:
            continue
    if len(results) != 1:
        raise NotFast
    return results[0]


def _ref(engine: Compiled, node: dict[str, Any], value: Any) -> Any:
    return engine._model({"ref": node["ref"]}, value)


_HANDLERS: dict[str, Callable[[Compiled, dict[str, Any], Any], Any]] = {
    "model": Compiled._model,
    "default": _default,
    "nullable": _nullable,
    "str": _str,
    "int": _int,
    "float": _float,
    "bool": _bool,
    "literal": _literal,
    "tuple": _tuple,
    "list": _list,
    "dict": _dict,
    "any": _any,
    "function-before": _before,
    "function-after": _after,
    "function-plain": _plain,
    "tagged-union": _tagged,
    "union": _union,
    "model-ref": _ref,
}
