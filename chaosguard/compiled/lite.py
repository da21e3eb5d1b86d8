"""The run-time objects of compiled models: frozen, compared by value, dumped like pydantic's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, cast

__all__ = ["LiteModel", "dump", "field_names", "is_model", "model_ref"]


class LiteModel:
    """A validated, frozen model instance made by :mod:`chaosguard.compiled.engine`.

    It answers the part of pydantic's ``BaseModel`` interface chaosguard uses on the run path:
    attribute access, ``model_fields_set``, ``model_dump`` and ``model_copy``.
    """

    __slots__ = ("__dict__", "_fields_set")
    _fields_set: frozenset[str]
    model_ref: ClassVar[str] = ""
    field_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, values: dict[str, Any], fields_set: frozenset[str]) -> None:
        self.__dict__.update(values)
        object.__setattr__(self, "_fields_set", fields_set)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        # Equal to the pydantic instance of the same model and values (their hashes differ: do
        # not mix the two families in one set or as dict keys).
        if isinstance(other, LiteModel):
            return other.model_ref == self.model_ref and self.__dict__ == other.__dict__
        if model_ref(other) == self.model_ref:  # the pydantic instance of the same model
            return self.model_dump() == cast(Any, other).model_dump()
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.model_ref, *(self.__dict__[n] for n in self.field_names)))

    def __repr__(self) -> str:
        body = ", ".join(f"{n}={self.__dict__[n]!r}" for n in self.field_names)
        return f"{type(self).__name__}({body})"

    @property
    def model_fields_set(self) -> frozenset[str]:
        """The fields the document gave (not filled in from a default)."""
        return self._fields_set

    def model_dump(self, *, mode: str = "python", exclude_none: bool = False) -> dict[str, Any]:
        """The fields as a dict; ``mode="json"`` gives only JSON types (lists, ISO dates)."""
        out: dict[str, Any] = {}
        for name in self.field_names:
            value = self.__dict__[name]
            if not (exclude_none and value is None):
                out[name] = dump(value, mode, exclude_none)
        return out

    def model_copy(self, *, update: dict[str, Any] | None = None) -> LiteModel:
        """A copy with ``update`` applied as is (not validated, like pydantic's)."""
        values = {**self.__dict__, **(update or {})}
        copy = object.__new__(type(self))
        copy.__dict__.update(values)
        object.__setattr__(copy, "_fields_set", self._fields_set | frozenset(update or ()))
        return copy


def dump(value: Any, mode: str = "python", exclude_none: bool = False) -> Any:
    """``value`` with every compiled model made a dict (and, in JSON mode, tuples made lists and
    dates ISO strings)."""
    if isinstance(value, LiteModel):
        return value.model_dump(mode=mode, exclude_none=exclude_none)
    if isinstance(value, tuple | list):
        items = [dump(v, mode, exclude_none) for v in value]
        return items if mode == "json" or isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: dump(v, mode, exclude_none) for k, v in value.items()}
    if mode == "json" and isinstance(value, date | datetime):
        return value.isoformat()
    return value


def is_model(value: object) -> bool:
    """True for an instance of a model, compiled or pydantic's."""
    return hasattr(value, "model_fields_set") and not isinstance(value, type)


def model_ref(model: object) -> str:
    """``"module:qualname"`` of the pydantic model behind an instance, compiled or pydantic's."""
    cls = type(model)
    return getattr(cls, "model_ref", "") or f"{cls.__module__}:{cls.__qualname__}"


def field_names(model: object) -> tuple[str, ...]:
    """The field names of a model instance (compiled or pydantic's), in order."""
    cls: Any = type(model)
    return tuple(cls.field_names if issubclass(cls, LiteModel) else cls.model_fields)
