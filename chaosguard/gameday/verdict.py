"""What one experiment's run means for the suite, and the one exit code of the whole suite.

Outcome of an experiment → exit code (the guard writes the outcome in the journal's ``chaosguard``
section; the runner adds ``error`` for a run without a usable journal and ``skipped`` for one that
never started):

=====================  ====  ======================================================================
outcome                code  meaning
=====================  ====  ======================================================================
met                    0     the hypothesis held
deviated               1     the hypothesis failed after the method, no guard breached
aborted                2     a guard breached: faults reverted, experiment interrupted
refused                3     policy or preflight said no; nothing was injected
steady-state-unmet     3     the hypothesis failed *before* the method; nothing was injected (a
                             preflight of the experiment's own making, like an SLO already breached)
action-failed          4     an action could not do its job (the fault may not have happened)
error                  4     no usable journal, chaos crashed or timed out, the run was not guarded
skipped                —     not run (the suite stopped earlier); adds nothing
=====================  ====  ======================================================================

The suite exits with the **worst** code by this precedence: ``4 > 2 > 1 > 3 > 0``.

* 4 first: when the machinery failed (bad input, unreachable infrastructure, chaos crashed, a run
  that was not guarded) nothing else the suite says can be trusted, whether faults are gone
  included; a person must look before anything else happens, and nothing may retry it blindly.
* 2 before 1: an abort means the guard saw real SLO damage and cut the experiment short; a
  deviation is a hypothesis that failed within the SLOs. Both fail a pipeline; the abort is the
  more urgent.
* 1 before 3: a refusal is "not now / not allowed" (freeze, window, kill switch, blast radius),
  which pipelines often accept as neutral (GitLab ``allow_failure: exit_codes: [3]``). A suite
  where one experiment deviated and another was refused must not look neutral: the finding wins,
  the refusal is still visible in the report and in JUnit.
* 0 only when every experiment that ran met its hypothesis and nothing was refused.

The canary analysis of a run (``chaosguard.canary``) never changes its outcome or the suite's exit
code: it is a statistical finding with a false-alarm rate, folded into the resilience score
(:mod:`chaosguard.gameday.score`) and shown in every report, not a verdict of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from chaosguard.errors import ExitCode
from chaosguard.outcomes import Outcome

__all__ = ["PRECEDENCE", "Verdict", "verdict_of", "worst"]


Verdict = ExitCode  # a suite's exit code

#: Worst first.
PRECEDENCE: tuple[Verdict, ...] = (
    Verdict.ERROR,
    Verdict.ABORTED,
    Verdict.DEVIATED,
    Verdict.REFUSED,
    Verdict.OK,
)
_RANK = {v: len(PRECEDENCE) - i for i, v in enumerate(PRECEDENCE)}


def verdict_of(outcome: str) -> Verdict:
    """The exit code an experiment outcome stands for (an unknown outcome is an error)."""
    return Outcome.parse(outcome).exit_code


def worst(verdicts: Iterable[Verdict | int]) -> Verdict:
    """The worst of ``verdicts`` by :data:`PRECEDENCE` (``OK`` for none)."""
    return max((Verdict(v) for v in verdicts), key=_RANK.__getitem__, default=Verdict.OK)
