"""Run a game day: the experiments of a suite in order, each as its own guarded ``chaos run``.

For each experiment, in order:

1. from the second one on, wait (bounded by ``recovery.timeout_s``) until every suite guard is
   healthy again (:mod:`.recovery`); on timeout stop the suite with an error, or go on
   (``on_timeout: continue``);
2. ``chaos run`` it in a subprocess with the suite's policy and guards (:mod:`.launch`); its control
   file, journal, Chaos Toolkit log and console output go to ``OUT/NN-<name>/`` (mode 0700, so
   nobody else can read them while the run writes them);
3. seal that directory (:func:`seal`): every file in it is redacted in place — the journal with
   the experiment's secrets and env-sourced configuration values, as the journal publishers do,
   the logs and the control file as text — and made 0600; no raw copy stays behind;
4. classify the outcome from the redacted journal (:func:`.results.classify`); stop after a
   guard abort unless ``continue_on_abort``, after an error unless ``continue_on_error``; the rest
   is ``skipped``.

Then: the exit code (worst by :data:`.verdict.PRECEDENCE`), the resilience score (:mod:`.score`),
and the reports (:mod:`.reports`). The runner never raises for what happens to an experiment; only
invalid input (found before anything runs) raises :class:`~chaosguard.errors.InvalidArgument`.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from chaosguard.gameday.launch import (
    ChaosRun,
    Interrupted,
    chaos_command,
    child_env,
    control_arguments,
    experiment_env,
    run_chaos,
    sigterm_as_interrupt,
    write_control_file,
)
from chaosguard.gameday.metrics import push_suite_metrics
from chaosguard.gameday.recovery import RecoveryResult, wait_until_healthy
from chaosguard.gameday.reports import write_reports, write_summary
from chaosguard.gameday.results import ExperimentResult, SuiteResult, classify
from chaosguard.gameday.score import resilience_score
from chaosguard.gameday.suite import GameDay, PlannedExperiment
from chaosguard.gameday.verdict import Verdict, worst
from chaosguard.journal.files import DIR_MODE, private_dir, private_write
from chaosguard.journal.redact import Redactor, redactor_for
from chaosguard.journal.urls import redact_urls_in
from chaosguard.ledger.files import to_json
from chaosguard.slo.check import Reading
from chaosguard.telemetry import emit

__all__ = ["DEFAULT_OUTPUT", "Events", "output_path", "run_gameday", "seal"]


class Events(Protocol):
    """What a progress display is told while the suite runs (every method may do nothing)."""

    def suite_started(self, gameday: GameDay, output_dir: Path) -> None: ...
    def recovery_started(self, planned: PlannedExperiment) -> None: ...
    def recovery_round(self, readings: list[Reading]) -> None: ...
    def recovery_ended(self, result: RecoveryResult) -> None: ...
    def experiment_started(self, planned: PlannedExperiment) -> None: ...
    def experiment_tick(self) -> None: ...
    def experiment_ended(self, result: ExperimentResult) -> None: ...
    def suite_ended(self, result: SuiteResult) -> None: ...


class _Silent:
    """Events that show nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:60] or "suite"


DEFAULT_OUTPUT = "runs/{name}-{time}"


def output_path(template: str, name: str, now: float | None = None) -> Path:
    """``template`` with ``{name}`` (the suite name as a file name) and ``{time}`` (UTC, like
    ``20261201T090000Z``) replaced; relative to the working directory."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    return Path(template.replace("{name}", _slug(name)).replace("{time}", stamp))


def _read_journal(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def seal(
    directory: Path, redactor: Redactor, journal: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Redact every regular file of ``directory`` in place and make it 0600, the directory 0700;
    return the redacted ``journal`` (the parsed ``journal.json``, when there is one).

    ``journal.json`` is rewritten from the redacted document, every other file (Chaos Toolkit's
    log, the console output, the control file) through :meth:`Redactor.text`. Symbolic links are
    removed, not followed.
    """
    safe = redactor.value(journal) if journal is not None else None
    for path in sorted(directory.iterdir()):
        if path.is_symlink():
            path.unlink()
            continue
        if not path.is_file():
            continue
        if path.name == "journal.json" and isinstance(safe, dict):
            data = to_json(safe)
        else:
            data = redactor.text(path.read_bytes().decode("utf-8", "replace")).encode("utf-8")
        private_write(path, data)
    os.chmod(directory, DIR_MODE)
    return safe if isinstance(safe, dict) else None


def _experiment_redactor(
    document: Mapping[str, Any], journal: dict[str, Any] | None, env: Mapping[str, str]
) -> Redactor:
    """The redactor of one experiment: its declared secrets and env-sourced configuration (read
    from the environment its ``chaos run`` had), and the secrets its journal shows."""
    docs: list[Mapping[str, Any]] = [{"experiment": document}]
    if journal is not None:
        docs.append(journal)
    return redactor_for(docs, env=env)


class _Run:
    """The state of one game day while it runs."""

    def __init__(
        self,
        gameday: GameDay,
        output_dir: Path,
        events: Events,
        env: dict[str, str] | None,
        chaos: str | None,
    ) -> None:
        self.gameday = gameday
        self.suite = gameday.suite
        self.out = output_dir
        self.events = events
        self.chaos = chaos
        self.env = child_env(env, self.suite.policy)
        self.results: list[ExperimentResult] = []
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.stopped: str | None = None
        for planned in gameday.experiments:
            for note in control_arguments(self.suite.policy, self.suite.guards, planned.document)[
                1
            ]:
                self.warnings.append(f"experiment {planned.index + 1} ({planned.ref.path}): {note}")

    def skip(self, planned: PlannedExperiment, why: str) -> None:
        result = ExperimentResult(
            planned.index,
            planned.name,
            planned.ref.path,
            planned.ref.weight,
            "skipped",
            f"not run: {why}",
        )
        self.results.append(result)
        self.events.experiment_ended(result)
        self._ended(result)

    def _ended(self, result: ExperimentResult) -> None:
        emit(
            "experiment-end",
            suite=self.suite.name,
            name=result.name,
            outcome=result.outcome,
            index=result.index + 1,
            duration_s=result.duration_s,
        )

    def recover(self, planned: PlannedExperiment) -> RecoveryResult | None:
        """Wait for the suite SLOs before ``planned``; stop the suite if they do not recover."""
        if planned.index == 0 or not self.suite.guards:
            return None
        cfg = self.suite.recovery
        self.events.recovery_started(planned)
        result = wait_until_healthy(
            self.suite.guards,
            cfg.timeout_s,
            cfg.interval_s,
            cfg.settle_s,
            cfg.read_timeout_s,
            self.gameday.policy.guard.on_unreadable != "ignore",
            on_round=self.events.recovery_round,
        )
        self.events.recovery_ended(result)
        if not result.healthy:
            message = (
                f"the suite SLOs were not healthy within {cfg.timeout_s:g} s before experiment "
                f"{planned.index + 1} ({result.describe()})"
            )
            if cfg.on_timeout == "error":
                self.errors.append(message)
                self.stopped = message
            else:
                self.warnings.append(message + "; it ran anyway (recovery.on_timeout: continue)")
        return result

    def run_one(
        self, planned: PlannedExperiment, recovery: RecoveryResult | None
    ) -> ExperimentResult:
        """``chaos run`` one experiment and classify it."""
        ref = planned.ref
        directory = self.out / f"{planned.index + 1:02d}-{_slug(Path(ref.path).stem)}"
        private_dir(directory)
        os.chmod(directory, DIR_MODE)
        journal_path, output = directory / "journal.json", directory / "output.log"
        arguments = control_arguments(self.suite.policy, self.suite.guards, planned.document)[0]
        control = write_control_file(directory / "chaosguard-control.yaml", arguments)
        cmd = chaos_command(
            ref.path,
            journal_path,
            directory / "chaostoolkit.log",
            control,
            [*self.suite.chaos_args, *ref.chaos_args],
            self.chaos,
        )
        timeout = ref.timeout_s or self.suite.experiment_timeout_s
        self.events.experiment_started(planned)
        emit("experiment-start", suite=self.suite.name, name=planned.name, index=planned.index + 1)
        interrupted = False
        try:
            env = experiment_env(self.env)  # the child continues the suite's events and trace
            run = run_chaos(cmd, env, output, timeout, tick=self.events.experiment_tick)
        except Interrupted as exc:
            run = exc.run or ChaosRun(None, 0.0, interrupted=True)
            interrupted = True
        raw = _read_journal(journal_path)
        journal = seal(directory, _experiment_redactor(planned.document, raw, self.env), raw)
        outcome, reason = classify(journal, run, output, timeout)
        result = ExperimentResult(
            planned.index,
            planned.name,
            ref.path,
            ref.weight,
            outcome,
            reason,
            run.rc,
            run.duration_s,
            str(directory),
            journal,
            recovery,
        )
        self.results.append(result)
        self.events.experiment_ended(result)
        self._ended(result)
        if interrupted:
            self.stopped = (
                f"interrupted (SIGINT/SIGTERM) while running experiment {planned.index + 1}"
            )
            self.errors.append(self.stopped)
        elif outcome == "aborted" and not self.suite.continue_on_abort:
            self.stopped = (
                f"experiment {planned.index + 1} was aborted by a guard (continue_on_abort: false)"
            )
        elif result.verdict is Verdict.ERROR and not self.suite.continue_on_error:
            self.stopped = (
                f"experiment {planned.index + 1} ended in error (continue_on_error: false)"
            )
        return result

    def run(self) -> None:
        """Every experiment in order, honouring the stop rules."""
        for planned in self.gameday.experiments:
            if self.stopped:
                self.skip(planned, self.stopped)
                continue
            try:
                recovery = self.recover(planned)
            except Interrupted:
                self.stopped = f"interrupted (SIGINT/SIGTERM) before experiment {planned.index + 1}"
                self.errors.append(self.stopped)
                self.skip(planned, self.stopped)
                continue
            except Exception as exc:
                why = redact_urls_in(f"{type(exc).__name__}: {exc}")
                self.stopped = f"reading the suite guards failed: {why}"
                self.errors.append(self.stopped)
                self.skip(planned, self.stopped)
                continue
            if self.stopped:
                self.skip(planned, self.stopped)
                continue
            self.run_one(planned, recovery)


def run_gameday(
    gameday: GameDay,
    output_dir: Path | None = None,
    events: Events | None = None,
    env: dict[str, str] | None = None,
    chaos: str | None = None,
) -> SuiteResult:
    """Run ``gameday``; write its journals and reports under ``output_dir``; return the result.

    Every file written is redacted and 0600; the directories the game day creates are 0700.

    :param output_dir: default ``suite.output_dir``, else ``runs/{name}-{time}`` (see
        :func:`output_path`).
    :param env: environment of the ``chaos run`` processes (default: this process's).
    :param chaos: the ``chaos`` executable (default: the one next to this interpreter).
    """
    shown = events if events is not None else _Silent()
    out = output_path(
        str(output_dir or gameday.suite.output_dir or DEFAULT_OUTPUT), gameday.suite.name
    )
    if not out.exists():
        private_dir(out)
    started = time.time()
    restore = sigterm_as_interrupt()
    try:
        state = _Run(gameday, out, shown, env, chaos)
        shown.suite_started(gameday, out)
        emit(
            "suite-start",
            suite=gameday.suite.name,
            experiments=[p.name for p in gameday.experiments],
        )
        try:
            state.run()
        except (KeyboardInterrupt, Interrupted):  # between two steps
            state.stopped = state.stopped or "interrupted (SIGINT/SIGTERM)"
            state.errors.append(state.stopped)
            for planned in gameday.experiments[len(state.results) :]:
                state.skip(planned, state.stopped)
    finally:
        restore()
    verdicts = [r.verdict for r in state.results] + ([Verdict.ERROR] if state.errors else [])
    result = SuiteResult(
        gameday.suite.name,
        gameday.source,
        out,
        started,
        time.time(),
        state.results,
        worst(verdicts),
        resilience_score(r.score_item() for r in state.results),
        state.stopped,
        state.errors,
        state.warnings,
    )
    write_reports(result)
    push_suite_metrics(result, env)
    if result.errors:
        result.verdict = worst([result.verdict, Verdict.ERROR])
    write_summary(result)
    shown.suite_ended(result)
    emit("suite-end", suite=result.name, verdict=int(result.verdict), score=result.score)
    return result
