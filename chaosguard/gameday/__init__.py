"""Game days: run a suite of experiments in order, under one shared policy and shared SLO guards.

One job: turn a suite file into guarded ``chaos run`` processes, one per experiment, waiting for the suite
SLOs to recover between them, and into one verdict (exit code), one resilience score and one set of
reports (JUnit, HTML, Markdown, ``summary.json``); and render schedules for recurring game days.

Modules: ``suite`` (the pydantic model of the suite file, loading, JSON Schema), ``launch`` (one
``chaos run`` subprocess and the global control file carrying the suite's policy and guards),
``recovery`` (wait until the suite SLOs are healthy), ``results`` (outcome of a run from its journal),
``verdict`` (outcome → exit code, precedence), ``score`` (resilience score), ``reports`` (files written
through :mod:`chaosguard.journal`), ``progress`` (rich display), ``runner`` (the loop), ``schedule``
(crontab line, Kubernetes CronJob + RBAC). The ``chaos gameday`` command is :mod:`chaosguard.cli.gameday`.
"""

from chaosguard.gameday.runner import run_gameday
from chaosguard.gameday.score import resilience_score
from chaosguard.gameday.suite import (
    GameDay,
    Suite,
    load_suite,
    suite_from_experiments,
    suite_schema,
)
from chaosguard.gameday.verdict import PRECEDENCE, Verdict, verdict_of, worst

__all__ = [
    "PRECEDENCE",
    "GameDay",
    "Suite",
    "Verdict",
    "load_suite",
    "resilience_score",
    "run_gameday",
    "suite_from_experiments",
    "suite_schema",
    "verdict_of",
    "worst",
]
