"""Print guard readings as the run goes (``live: true`` in the control arguments), with rich."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console

from chaosguard.slo.check import Reading

_console = Console(stderr=True, highlight=False)


def show_reading(reading: Reading, spec: Any) -> None:
    """One line per reading: time, guard, value against the objective, verdict."""
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
