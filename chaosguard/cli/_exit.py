"""Exit codes of chaosguard's own commands, carried by exceptions.

0 all met · 1 a hypothesis deviated · 2 aborted by a guard · 3 refused by policy or preflight ·
4 error (bad input, unreachable infrastructure, a revert that failed).
"""

from __future__ import annotations

from enum import IntEnum

import click

__all__ = ["ExitCode", "CommandFailed"]


class ExitCode(IntEnum):
    """The documented exit codes."""

    OK = 0
    DEVIATED = 1
    ABORTED = 2
    REFUSED = 3
    ERROR = 4


class CommandFailed(click.ClickException):
    """A one-line failure with its exit code (printed as ``Error: <message>``)."""

    def __init__(self, message: str, code: ExitCode = ExitCode.ERROR) -> None:
        super().__init__(message)
        self.exit_code = int(code)
