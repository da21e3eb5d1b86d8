"""Compile pydantic models into the plain data :mod:`chaosguard.compiled.engine` validates with.

Development time only: this module imports pydantic. Every function a schema calls must be
importable by its ``module:qualname`` (so not a lambda, nor a method of a pydantic class), and
every schema node must be one the engine knows; anything else is refused here, with what and
where, so the engine never meets a schema it would misread.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from chaosguard.compiled.engine import resolve
from chaosguard.errors import ChaosGuardError

__all__ = ["CompileError", "compile_models", "render"]

#: The keys the engine reads, per node type; any other key (bar documentation) is refused.
_KNOWN: dict[str, set[str]] = {
    "str": {"min_length", "max_length", "pattern", "strict"},
    "int": {"ge", "gt", "le", "lt", "strict"},
    "float": {"ge", "gt", "le", "lt", "strict", "allow_inf_nan"},
    "bool": {"strict"},
    "literal": {"expected"},
    "any": set(),
}
_IGNORED = {"type", "metadata", "ref", "serialization"}
#: The keys the engine follows in the other nodes (values it does not read are conservative:
#: a tagged union's ``from_attributes`` only widens what pydantic accepts).
_SHAPE: dict[str, set[str]] = {
    "definition-ref": {"schema_ref"},
    "default": {"schema", "default"},
    "nullable": {"schema"},
    "tuple": {"items_schema", "variadic_item_index", "min_length", "max_length", "strict"},
    "list": {"items_schema", "min_length", "max_length", "strict"},
    "dict": {"keys_schema", "values_schema"},
    "function-before": {"function", "schema", "json_schema_input_schema"},
    "function-after": {"function", "schema"},
    "function-plain": {"function", "json_schema_input_schema"},
    "tagged-union": {"choices", "discriminator", "strict", "from_attributes"},
    "union": {"choices", "mode"},
}
#: The keys of a model schema the engine follows (a post_init, a config that coerces: refused).
_MODEL_KEYS = {"type", "cls", "schema", "config", "custom_init", "root_model", "ref", "metadata"}


class CompileError(ChaosGuardError):
    """A schema the engine could not follow exactly."""


def _fn(obj: Any, where: str) -> str:
    ref = f"{obj.__module__}:{obj.__qualname__}"
    try:
        ok = resolve(ref) == obj
    except (ImportError, AttributeError):
        ok = False
    if not ok:
        raise CompileError(f"{where}: {ref} cannot be imported by that name")
    return ref


class _Compiler:
    def __init__(self) -> None:
        self.models: dict[str, dict[str, Any]] = {}
        self.refs: dict[str, dict[str, Any]] = {}

    def model(self, cls: type[BaseModel]) -> str:
        ref = f"{cls.__module__}:{cls.__qualname__}"
        if ref not in self.models:
            self.models[ref] = {}  # a placeholder against recursion
            self.models[ref] = self._model_spec(cls, dict(cls.__pydantic_core_schema__), ref)
        return ref

    def _model_spec(self, cls: type[BaseModel], schema: dict[str, Any], where: str) -> Any:
        after: list[str] = []
        while schema["type"] == "function-after":
            after.insert(0, _fn(schema["function"]["function"], where))
            schema = schema["schema"]
        if schema["type"] == "definitions":
            for d in schema["definitions"]:
                self.refs[d["ref"]] = d
            schema = schema["schema"]
        if schema["type"] != "model" or schema.get("custom_init") or schema.get("root_model"):
            raise CompileError(f"{where}: not a plain model schema")
        config = schema["config"]
        extra = config.get("extra_fields_behavior", "ignore")
        unknown = (set(schema) - _MODEL_KEYS) | (set(config) - {"title", "extra_fields_behavior"})
        if unknown or extra not in ("forbid", "ignore"):
            raise CompileError(f"{where}: a model with {sorted(unknown) or extra!r}")
        if not cls.model_config.get("frozen"):
            raise CompileError(f"{where}: only frozen models (compiled instances are frozen)")
        inner = schema["schema"]
        if inner["type"] != "model-fields" or inner.get("computed_fields"):
            raise CompileError(f"{where}: computed fields are not supported")
        fields = {}
        for name, field in inner["fields"].items():
            if field.get("validation_alias") or field["type"] != "model-field":
                raise CompileError(f"{where}.{name}: aliases are not supported")
            fields[name] = self.node(field["schema"], f"{where}.{name}")
        mixins = [
            f"{base.__module__}:{base.__qualname__}"
            for base in cls.__mro__[1:]
            if not issubclass(base, BaseModel) and base is not object
        ]
        for mixin in mixins:
            if resolve(mixin).__module__.startswith("pydantic"):
                raise CompileError(f"{where}: base {mixin} is pydantic's")
        return {
            "name": cls.__name__,
            "mixins": mixins,
            "fields": fields,
            "after": after,
            "forbid": extra == "forbid",
        }

    def node(self, s: dict[str, Any], where: str) -> dict[str, Any]:
        kind = s["type"]
        allowed = _SHAPE.get(kind)
        if allowed is not None and set(s) - allowed - _IGNORED:
            raise CompileError(f"{where}: {kind} with {sorted(set(s) - allowed - _IGNORED)}")
        if kind == "definition-ref":
            return self.node(self.refs[s["schema_ref"]], where)
        if kind == "model" or (kind == "function-after" and _wraps_model(s)):
            return {"type": "model", "ref": self.model(_model_class(s))}
        if kind in _KNOWN:
            extra = set(s) - _KNOWN[kind] - _IGNORED
            if extra:
                raise CompileError(f"{where}: {kind} with {sorted(extra)}")
            return {k: v for k, v in s.items() if k not in _IGNORED or k == "type"}
        if kind in ("default", "nullable"):
            out: dict[str, Any] = {"type": kind, "schema": self.node(s["schema"], where)}
            if kind == "default":
                if "default" not in s or s.get("validate_default"):
                    raise CompileError(f"{where}: a default factory or a validated default")
                out.update(_default(s["default"], where))
            return out
        if kind == "tuple":
            if s.get("variadic_item_index") != 0 or len(s["items_schema"]) != 1:
                raise CompileError(f"{where}: only tuple[X, ...] is supported")
            out = {"type": "tuple", "items": self.node(s["items_schema"][0], where)}
            out.update({k: s[k] for k in ("min_length", "max_length", "strict") if k in s})
            return out
        if kind == "list":
            out = {"type": "list", "items": self.node(s["items_schema"], where)}
            out.update({k: s[k] for k in ("min_length", "max_length", "strict") if k in s})
            return out
        if kind == "dict":
            return {
                "type": "dict",
                "keys": self.node(s["keys_schema"], where),
                "values": self.node(s["values_schema"], where),
            }
        if kind in ("function-before", "function-after", "function-plain"):
            if s["function"]["type"] != "no-info":
                raise CompileError(f"{where}: validators with info are not supported")
            out = {"type": kind, "function": _fn(s["function"]["function"], where)}
            if kind != "function-plain":
                out["schema"] = self.node(s["schema"], where)
            return out
        if kind == "tagged-union":
            disc = s["discriminator"]
            disc_ref = f"field:{disc}" if isinstance(disc, str) else _fn(disc, where)
            choices = {tag: self.node(c, f"{where}[{tag}]") for tag, c in s["choices"].items()}
            return {"type": kind, "discriminator": disc_ref, "choices": choices}
        if kind == "union":
            if s.get("mode", "smart") != "smart":
                raise CompileError(f"{where}: only smart unions")
            options = [self.node(c[0] if isinstance(c, tuple) else c, where) for c in s["choices"]]
            return {"type": kind, "choices": options}
        raise CompileError(f"{where}: schema type {kind!r} is not supported")


def _wraps_model(s: dict[str, Any]) -> bool:
    while s["type"] == "function-after":
        s = s["schema"]
    return s["type"] == "model"


def _model_class(s: dict[str, Any]) -> type[BaseModel]:
    while s["type"] == "function-after":
        s = s["schema"]
    cls: type[BaseModel] = s["cls"]
    return cls


def _default(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return {"default": value.model_dump(exclude_unset=True), "validate": True}
    if isinstance(value, tuple) and any(isinstance(v, BaseModel) for v in value):
        raise CompileError(f"{where}: a default tuple of models")
    if isinstance(value, dict | list) and not value:
        return {"default": value, "copy": True}
    if isinstance(value, tuple):
        if not all(isinstance(v, str | int | float | bool | type(None)) for v in value):
            raise CompileError(f"{where}: default {value!r} is not a flat tuple")
        return {"default": list(value), "tuple": True}  # JSON has no tuple
    if not isinstance(value, str | int | float | bool | type(None)):
        raise CompileError(f"{where}: default {value!r} is not plain data")
    return {"default": value}


def compile_models(*models: type[BaseModel]) -> dict[str, Any]:
    """``{"schemas": {name: node}, "definitions": {ref: model}}`` for ``models`` and every model
    they use."""
    compiler = _Compiler()
    schemas = {m.__name__: {"type": "model", "ref": compiler.model(m)} for m in models}
    return {"schemas": schemas, "definitions": compiler.models}


def render(artifact: dict[str, Any]) -> str:
    """The artifact as JSON text (the checked-in ``_artifact.json``); :class:`CompileError` if
    JSON would not give it back exactly (a tuple, a non-finite number, a key that is no string)."""
    text = json.dumps(artifact, indent=1, allow_nan=False) + "\n"
    if json.loads(text) != artifact:
        raise CompileError("the artifact does not survive JSON unchanged")
    return text


def main() -> None:
    """Write ``chaosguard/compiled/_artifact.json`` from the models of
    :data:`chaosguard.compiled.models.MODELS`."""
    from chaosguard.compiled.models import ARTIFACT_PATH, MODELS

    models = [resolve(ref) for ref in MODELS.values()]
    ARTIFACT_PATH.write_text(render(compile_models(*models)))


if __name__ == "__main__":
    main()
