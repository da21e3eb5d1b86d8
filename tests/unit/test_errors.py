"""One exception tree: every exception class of chaosguard is a ChaosGuardError with an exit code,
and the tree drawn in the docstring of :mod:`chaosguard.errors` is the tree in the code."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass

import pytest
from chaoslib.exceptions import ChaosException

import chaosguard
from chaosguard import errors
from chaosguard.errors import ChaosGuardError, ExitCode

# "    │   ├── Name    4  module.path   what it means (+ OtherBase)"; module relative to chaosguard
LINE = re.compile(
    r"^ {4}(?P<indent>[│ ]*)[├└]── (?P<name>\w+) +(?P<code>\d) +(?P<module>[\w.]+)  +(?P<what>.*)$"
)


@dataclass(frozen=True)
class Drawn:
    name: str
    code: int
    module: str
    parent: str
    what: str


def drawn_tree() -> dict[str, Drawn]:
    """The classes drawn in the docstring of chaosguard.errors, by name."""
    tree: dict[str, Drawn] = {}
    stack: list[str] = []  # the names on the path from the root to the current line
    for line in (errors.__doc__ or "").splitlines():
        match = LINE.match(line)
        if match is None:
            continue
        depth = len(match["indent"]) // 4
        del stack[depth:]
        name = match["name"]
        assert name not in tree, f"{name} is drawn twice"
        tree[name] = Drawn(
            name,
            int(match["code"]),
            f"chaosguard.{match['module']}",
            stack[-1] if stack else ChaosException.__name__,
            match["what"],
        )
        stack.append(name)
    return tree


def package_exceptions() -> list[type[BaseException]]:
    """Every exception class defined in chaosguard (every module imported first)."""
    for info in pkgutil.walk_packages(chaosguard.__path__, "chaosguard."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            importlib.import_module(info.name)
    found: set[type[BaseException]] = set()
    todo: list[type[BaseException]] = [BaseException]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(
        (c for c in found if c.__module__.split(".")[0] == "chaosguard"),
        key=lambda c: (c.__module__, c.__qualname__),
    )


EXCEPTIONS = package_exceptions()


def test_the_drawing_is_found() -> None:
    tree = drawn_tree()
    assert {"ChaosGuardError", "InvalidArgument", "Refused", "RevertError"} <= set(tree)
    assert tree["ChaosGuardError"].parent == "ChaosException"
    assert tree["InvalidArgument"].parent == "ChaosGuardError"


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_exception_is_in_the_tree_with_its_exit_code(cls: type[BaseException]) -> None:
    assert issubclass(cls, ChaosGuardError), f"{cls.__qualname__} is not a ChaosGuardError"
    assert isinstance(cls.exit_code, ExitCode)
    drawn = drawn_tree().get(cls.__name__)
    assert drawn is not None, f"{cls.__name__} is not drawn in the docstring of chaosguard.errors"
    assert drawn.module == cls.__module__, f"{cls.__name__} lives in {cls.__module__}"
    assert drawn.code == cls.exit_code, f"{cls.__name__} exits with {int(cls.exit_code)}"
    bases = [b.__name__ for b in cls.__bases__]
    assert drawn.parent in bases, f"{cls.__name__} is drawn under {drawn.parent}; bases: {bases}"
    for other in set(bases) - {drawn.parent}:  # a foreign base says so: "(+ OSError)"
        assert f"+ {other}" in drawn.what, f"{cls.__name__}: say '+ {other}' in its line"


def test_every_drawn_class_exists() -> None:
    defined = {c.__name__ for c in EXCEPTIONS}
    assert set(drawn_tree()) - defined == set(), "drawn but not defined in chaosguard"


def test_exit_codes_of_the_core_classes() -> None:
    assert {c.__name__: int(c.exit_code) for c in vars(errors).values() if _is_error(c)} == {
        "ChaosGuardError": 4,
        "InvalidArgument": 4,
        "Refused": 3,
        "Aborted": 2,
        "Deviated": 1,
        "InjectionError": 4,
        "RevertError": 4,
        "LedgerError": 4,
    }


def _is_error(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, ChaosGuardError)


def test_messages_are_one_line_and_invalid_argument_names_the_field() -> None:
    assert str(ChaosGuardError("two\n  lines")) == "two lines"
    exc = errors.InvalidArgument("--at", "expected an ISO 8601 time\n(got 'x')")
    assert str(exc) == "invalid argument '--at': expected an ISO 8601 time (got 'x')"
    assert (exc.field, exc.exit_code) == ("--at", ExitCode.ERROR)
    assert isinstance(exc, ValueError) and isinstance(exc, ChaosException)
