"""Print guard readings as the run goes (``live: true`` in the control arguments), with rich."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console

from chaosguard.slo.check import Reading

if TYPE_CHECKING:
    from chaosguard.slo.spec import GuardBase

__all__ = ["show_reading"]

_console = Console(stderr=True, highlight=False)


def show_reading(reading: Reading, spec: GuardBase | None) -> None:
    """One line per reading: time, guard, value against the objective (``off`` for the kill switch,
    whose ``spec`` is None), verdict."""
    stamp = time.strftime("%H:%M:%S", time.localtime(reading.read_at))
    if reading.value is None:
        value = f"[yellow]unreadable[/] ({reading.error})"
    else:
        value = f"{reading.value:,.3g}"
    objective = spec.threshold() if spec is not None else "off"
    verdict = (
        "[bold red]BREACH[/]"
        if reading.breached
        else ("[yellow]violating[/]" if reading.violating else "[green]ok[/]")
    )
    _console.print(
        f"[dim]{stamp}[/] guard [bold]{reading.guard}[/] {value} (objective {objective}) {verdict}"
    )
