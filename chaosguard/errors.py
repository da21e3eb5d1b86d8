"""The one exception tree of chaosguard.

::

    chaoslib.exceptions.ChaosException
    └── ChaosGuardError                 anything chaosguard refuses or fails to do
        ├── InvalidArgument             bad user input; names the field; nothing was changed
        ├── InjectionError              a fault could not be injected (it was rolled back)
        ├── RevertError                 a fault could not be reverted (it stays open in the ledger)
        ├── LedgerError                 the ledger cannot be read or written
        └── Refused                     policy or preflight said no; nothing was changed

Messages are single lines a person can act on: Chaos Toolkit shows only the first line of an activity's
exception. Foreign errors are converted at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations

from enum import IntEnum

from chaoslib.exceptions import ChaosException

__all__ = [
    "ExitCode",
    "ChaosGuardError",
    "InvalidArgument",
    "InjectionError",
    "RevertError",
    "LedgerError",
    "Refused",
]


class ExitCode(IntEnum):
    """Exit codes of chaosguard's own commands (``chaos gameday run``, ``chaos guard check``, ...)."""

    OK = 0  # all met
    DEVIATED = 1  # a hypothesis deviated
    ABORTED = 2  # aborted by a guard
    REFUSED = 3  # refused by policy or preflight
    ERROR = 4  # error: bad input, unreachable infrastructure, a revert that failed


class ChaosGuardError(ChaosException):
    """Base of every error chaosguard raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class InvalidArgument(ChaosGuardError, ValueError):
    """User input is invalid; ``field`` names the offending argument."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"invalid argument '{field}': {problem}")


class InjectionError(ChaosGuardError):
    """A fault could not be injected; whatever was started has been reverted."""


class RevertError(ChaosGuardError):
    """A fault could not be reverted; its ledger record stays open for ``chaos cleanup``."""


class LedgerError(ChaosGuardError):
    """The fault ledger cannot be read or written."""


class Refused(ChaosGuardError):
    """A policy, preflight or safety check refused the operation before anything changed."""
