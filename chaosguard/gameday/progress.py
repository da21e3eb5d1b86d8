"""Rich progress of a running game day: a live bar on a terminal, one line per step (CI logs)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from chaosguard.gameday.recovery import RecoveryResult, describe_readings
from chaosguard.gameday.results import ExperimentResult, SuiteResult
from chaosguard.gameday.suite import GameDay, PlannedExperiment
from chaosguard.slo.check import Reading

__all__ = ["STYLES", "RichEvents"]

STYLES: dict[str, tuple[str, str]] = {
    "met": ("green", "✔ met"),
    "deviated": ("yellow", "✘ deviated"),
    "aborted": ("bold red", "■ aborted"),
    "refused": ("magenta", "⊘ refused"),
    "steady-state-unmet": ("magenta", "⊘ steady state unmet"),
    "action-failed": ("red", "! action failed"),
    "rollback-failed": ("bold red", "! rollback failed"),
    "error": ("red", "! error"),
    "skipped": ("dim", "· skipped"),
}


class RichEvents:
    """Shows the suite on ``console`` (stderr by default) while it runs."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False, soft_wrap=True)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.task: Any = None
        self.total = 0
        self._last_round = 0.0

    def _line(self, text: str) -> None:
        self.progress.console.print(text)

    def suite_started(self, gameday: GameDay, output_dir: Path) -> None:
        """Title, where things go, and the live bar."""
        suite = gameday.suite
        self.total = len(gameday.experiments)
        guards = ", ".join(g.name for g in suite.guards) or "none (each experiment's own)"
        self.console.rule(f"[bold]game day {escape(suite.name)}")
        self.console.print(
            f"{self.total} experiment(s) · suite guards: {escape(guards)} · policy: "
            f"{escape(suite.policy or 'CHAOSGUARD_POLICY or built-in defaults')}"
        )
        self.console.print(f"output: {escape(str(output_dir))}")
        self.progress.start()
        self.task = self.progress.add_task("starting", total=self.total)

    def recovery_started(self, planned: PlannedExperiment) -> None:
        """Waiting for the suite SLOs before an experiment."""
        self.progress.update(
            self.task,
            description=f"[{planned.index + 1}/{self.total}] waiting for the "
            "suite SLOs to be healthy",
        )

    def recovery_round(self, readings: list[Reading]) -> None:
        """Show which guards still violate (at most once a second)."""
        now = time.monotonic()
        if now - self._last_round < 1.0:
            return
        self._last_round = now
        self.progress.update(
            self.task, description=f"waiting: {escape(describe_readings(readings))}"
        )

    def recovery_ended(self, result: RecoveryResult) -> None:
        """One line: recovered after how long, or not."""
        if result.healthy:
            self._line(f"  [dim]suite SLOs healthy after {result.waited_s:.1f} s[/]")
        else:
            self._line(
                f"  [red]suite SLOs not healthy after {result.waited_s:.1f} s: "
                f"{escape(result.describe())}[/]"
            )

    def experiment_started(self, planned: PlannedExperiment) -> None:
        """The bar says which experiment runs."""
        self.progress.update(
            self.task, description=f"[{planned.index + 1}/{self.total}] {escape(planned.name[:60])}"
        )

    def experiment_tick(self) -> None:
        """Nothing: the bar refreshes itself."""

    def experiment_ended(self, result: ExperimentResult) -> None:
        """One line per experiment: outcome, duration, reason."""
        style, label = STYLES.get(result.outcome, ("red", result.outcome))
        reason = f" — {escape(result.reason)}" if result.reason else ""
        took = f" ({result.duration_s:.1f} s)" if result.outcome != "skipped" else ""
        step = f"{result.index + 1}/{self.total}"
        self._line(f"[{style}]{label}[/] {step} {escape(result.name)}{took}{reason}")
        self.progress.advance(self.task)

    def suite_ended(self, result: SuiteResult) -> None:
        """Stop the bar; the verdict, the score and where the reports are."""
        self.progress.stop()
        score = "n/a" if result.score is None else f"{result.score:.0f}/100"
        counts = ", ".join(f"{n} {k}" for k, n in result.counts().items())
        style = "green" if int(result.verdict) == 0 else "red"
        self.console.rule()
        for message in result.errors:
            self.console.print(f"[red]error:[/] {escape(message)}")
        for message in result.warnings:
            self.console.print(f"[yellow]warning:[/] {escape(message)}")
        self.console.print(
            f"[{style} bold]{result.verdict.name.lower()}[/] (exit {int(result.verdict)}) · "
            f"resilience score [bold]{score}[/] · {counts}"
        )
        for key in ("html", "junit", "markdown", "summary"):
            if result.reports.get(key):
                self.console.print(f"{key:>8}: {escape(str(result.reports[key]))}")
