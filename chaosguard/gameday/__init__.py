"""Game days: run a suite of experiments in order, under one shared policy and shared SLO guards.

One job: turn a suite file into guarded ``chaos run`` processes, one per experiment (``launch``),
waiting for the suite SLOs to recover between them (``recovery``), then into one verdict, the exit
code (``verdict``), one resilience score (``score``) and one set of reports (``reports``: JUnit,
HTML, Markdown, ``summary.json``); and render the schedules of recurring game days (``schedule``:
crontab line, Kubernetes CronJob + RBAC). ``suite`` is the suite file's model, ``runner`` the loop;
the ``chaos gameday`` command is :mod:`chaosguard.cli.gameday`.
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
