"""The one exception tree of chaosguard; each class carries the exit code of chaosguard's commands.

Every exception class of the package is drawn here, with its exit code and the module it lives in
(``tests/unit/test_errors.py`` checks the drawing against the code)::

    chaoslib.exceptions.ChaosException
    └── ChaosGuardError       4  errors                  anything chaosguard refuses or fails to do
        ├── InvalidArgument   4  errors                  bad input, names the field (+ ValueError)
        ├── Refused           3  errors                  policy or preflight said no; no change
        │   └── BaselineError 3  slo.anomaly.base        anomaly baseline too short or not finite
        ├── Aborted           2  errors                  a guard aborted an experiment
        ├── Deviated          1  errors                  a hypothesis deviated
        ├── InjectionError    4  errors                  not injected (what started is reverted)
        ├── RevertError       4  errors                  not reverted (the record stays open)
        ├── LedgerError       4  errors                  the ledger cannot be read or written
        ├── ApiError          4  kube.api                API server said no or is unreachable
        ├── SourceUnreadable  4  slo.base                an SLO source has no trustworthy value
        ├── PromQLScanError   4  slo.prometheus.scanner  a query the PromQL scanner cannot read
        ├── NoSamples         4  slo.http.sampler        the HTTP sampler's window is empty
        ├── ControlError      4  faults.latency.control  latency worker unreachable (+ OSError)
        ├── PublishError      4  journal.publishers      a journal publisher failed
        ├── CompileError      4  compiled.build          a model schema the compiler cannot follow
        ├── NotFast           4  compiled.engine         compiled validator unsure; pydantic decides
        └── Interrupted       4  gameday.launch          SIGINT/SIGTERM stopped a game day

Exit codes (:class:`ExitCode`): 0 all met · 1 a hypothesis deviated · 2 aborted by a guard ·
3 refused by policy or preflight · 4 error (bad input, unreachable infrastructure, a revert that
failed). The one place that turns an exception into an exit code is :mod:`chaosguard.cli.boundary`.

Messages are single lines a person can act on: Chaos Toolkit shows only the first line of an
activity's exception. Foreign errors are converted at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # chaoslib ships no type information; ChaosException is a plain Exception
    ChaosException = Exception
else:
    from chaoslib.exceptions import ChaosException

__all__ = [
    "ExitCode",
    "ChaosGuardError",
    "InvalidArgument",
    "Refused",
    "Aborted",
    "Deviated",
    "InjectionError",
    "RevertError",
    "LedgerError",
]


class ExitCode(IntEnum):
    """Exit codes of chaosguard's own commands (``chaos gameday run``, ``chaos cleanup``, ...)."""

    OK = 0  # all met
    DEVIATED = 1  # a hypothesis deviated
    ABORTED = 2  # aborted by a guard
    REFUSED = 3  # refused by policy or preflight
    ERROR = 4  # error: bad input, unreachable infrastructure, a revert that failed


class ChaosGuardError(ChaosException):
    """Base of every error chaosguard raises on purpose."""

    #: What a chaosguard command exits with when this error ends it.
    exit_code: ClassVar[ExitCode] = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class InvalidArgument(ChaosGuardError, ValueError):
    """User input is invalid; ``field`` names the offending argument."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"invalid argument '{field}': {problem}")


class Refused(ChaosGuardError):
    """A policy, preflight or safety check refused the operation before anything changed."""

    exit_code = ExitCode.REFUSED


class Aborted(ChaosGuardError):
    """A guard aborted an experiment (its faults were reverted): the verdict of a game day."""

    exit_code = ExitCode.ABORTED


class Deviated(ChaosGuardError):
    """A hypothesis deviated and no guard breached: the verdict of a game day."""

    exit_code = ExitCode.DEVIATED


class InjectionError(ChaosGuardError):
    """A fault could not be injected (whatever was started has been reverted), or a change to a
    running fault could not be applied (the fault stays open, its ledger record says so)."""


class RevertError(ChaosGuardError):
    """A fault could not be reverted; its ledger record stays open for ``chaos cleanup``."""


class LedgerError(ChaosGuardError):
    """The fault ledger cannot be read or written."""
