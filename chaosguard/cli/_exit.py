"""Exit codes of chaosguard's own commands, carried by exceptions.

0 all met · 1 a hypothesis deviated · 2 aborted by a guard · 3 refused by policy or preflight ·
4 error (bad input, unreachable infrastructure, a revert that failed).
"""

from __future__ import annotations

from typing import Any

import click

from chaosguard.errors import ExitCode

__all__ = ["ExitCode", "CommandFailed", "Command", "Group"]


class CommandFailed(click.ClickException):
    """A one-line failure with its exit code (printed as ``Error: <message>``)."""

    def __init__(self, message: str, code: ExitCode = ExitCode.ERROR) -> None:
        super().__init__(message)
        self.exit_code = int(code)


def _as_error(exc: click.UsageError) -> click.UsageError:
    exc.exit_code = int(ExitCode.ERROR)  # type: ignore[misc]  # a bad command line is bad input: 4, not 2
    return exc


class Command(click.Command):
    """A command whose usage errors exit with 4."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise _as_error(exc) from None


class Group(click.Group):
    """A group whose usage errors (and those of its commands) exit with 4."""

    command_class = Command

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise _as_error(exc) from None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise _as_error(exc) from None
