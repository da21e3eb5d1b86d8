"""Python SLO source: any ``module:function`` (no arguments) returning a number, called per read."""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chaosguard.errors import InvalidArgument
from chaosguard.slo.base import Observation, SloSource, SourceUnreadable

if TYPE_CHECKING:
    from chaosguard.slo.spec import PythonGuard

__all__ = ["PythonSource"]


class PythonSource(SloSource):
    """Calls the function each read; its exceptions make the source unreadable.

    Nothing to start or stop (the function is imported when the source is built): the lifecycle
    methods are :class:`SloSource`'s no-ops.
    """

    def __init__(self, spec: PythonGuard) -> None:
        self.spec = spec
        module, _, name = spec.func.partition(":")
        try:
            self.func: Callable[[], float] = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise InvalidArgument(
                f"guards.{spec.name}.func", f"cannot load {spec.func}: {exc}"
            ) from None

    def read(self, timeout_s: float) -> Observation:
        """Call the function (it should honour its own timeouts)."""
        value = self.func()
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise SourceUnreadable(f"{self.spec.func} returned {value!r}, not a finite number")
        return Observation(float(value), time.time())

    def describe(self) -> str:
        """The function's dotted path."""
        return f"python {self.spec.func}()"
