"""The one place where what a chaosguard command raises becomes its exit code and its last line.

Every ``chaos`` subcommand of chaosguard is a :class:`Command` or a :class:`Group` (``cls=``); the
subcommands of a :class:`Group` are :class:`Command` too. Commands never call ``sys.exit`` nor build
exit codes: they return (exit 0) or raise, and this boundary maps what they raise:

* a bad command line (any ``click.ClickException``: unknown option, missing argument, bad value) →
  click's usage and its one ``Error: ...`` line, exit 4 (click's own 2 would read as "aborted");
* :class:`~chaosguard.errors.ChaosGuardError` → ``Error: <message>``, exit with the class's
  ``exit_code`` (a command's *result* too: ``Refused`` → 3, ``Aborted`` → 2, ``Deviated`` → 1);
* ``OSError`` (a path that cannot be used, a connection the machine refused) → ``Error: invalid
  argument '--option': <path>: <reason>`` naming the option whose path it is (or just the path),
  exit 4;
* anything else is a bug: ``Error: unexpected <Type>: <message>``, exit 4, the traceback in the
  Chaos Toolkit log. Never a traceback on the terminal.

The commands run inside Chaos Toolkit's own click group ``chaos``, which calls
:meth:`Command.make_context` and :meth:`Command.invoke` of ours: that is where the boundary sits, so
``chaos cleanup --bogus`` exits 4 like ``chaos gameday run --bogus``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from chaosguard.errors import ChaosGuardError, ExitCode

__all__ = ["Command", "Group", "error_line"]

logger = logging.getLogger("chaostoolkit")


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _paths(value: object) -> list[Path]:
    values = value if isinstance(value, (list, tuple)) else [value]
    return [Path(v) for v in values if isinstance(v, (str, os.PathLike)) and str(v)]


def _option_of(ctx: click.Context | None, filename: str) -> str | None:
    """The option (or argument) whose path is ``filename``, lies under it, or is above it; the
    nearest wins (``--state-dir X`` for ``X/ledger``, ``-o dir/out.html`` for ``dir``)."""
    target = Path(os.path.abspath(filename))
    found: tuple[int, str] | None = None
    while ctx is not None:
        for param in ctx.command.params:
            for path in _paths(ctx.params.get(param.name or "")):
                here = Path(os.path.abspath(path.expanduser()))
                if here != target and here not in target.parents and target not in here.parents:
                    continue
                distance = abs(len(here.parts) - len(target.parts))
                if found is None or distance < found[0]:
                    name = (
                        max(param.opts, key=len)
                        if isinstance(param, click.Option)
                        else param.human_readable_name
                    )
                    found = (distance, name)
        ctx = ctx.parent
    return found[1] if found else None


def error_line(exc: BaseException, ctx: click.Context | None = None) -> tuple[str, ExitCode]:
    """The one line (without ``Error: ``) and the exit code for ``exc`` ending a command."""
    if isinstance(exc, ChaosGuardError):
        return _one_line(exc), exc.exit_code
    if isinstance(exc, OSError):
        reason = _one_line(exc.strerror or exc)
        if not isinstance(exc.filename, (str, bytes, os.PathLike)):
            return reason, ExitCode.ERROR
        path = os.fsdecode(exc.filename)
        where = f"{path}: {reason}"
        option = _option_of(ctx, path)
        return (f"invalid argument '{option}': {where}" if option else where), ExitCode.ERROR
    return f"unexpected {type(exc).__name__}: {_one_line(exc)}", ExitCode.ERROR


@contextmanager
def _command_line() -> Iterator[None]:
    """A bad command line is bad input: click's message, exit 4 (click's own 2 reads as aborted)."""
    try:
        yield
    except click.ClickException as exc:
        exc.show()
        raise click.exceptions.Exit(int(ExitCode.ERROR)) from None


@contextmanager
def _boundary(ctx: click.Context) -> Iterator[None]:
    """Whatever the command raises: one ``Error:`` line and its exit code (see the module doc)."""
    try:
        with _command_line():
            yield
    except (click.exceptions.Exit, click.Abort):
        raise  # already said and coded (by an inner boundary, or by click)
    except Exception as exc:
        line, code = error_line(exc, ctx)
        expected = isinstance(exc, (ChaosGuardError, OSError))
        logger.debug("%s failed: %s", ctx.command_path, line, exc_info=not expected)
        click.echo(f"Error: {line}", err=True)
        raise click.exceptions.Exit(int(code)) from None


class Command(click.Command):
    """A chaosguard command: exit codes and error lines come from :mod:`chaosguard.cli.boundary`."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _command_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _boundary(ctx):
            return super().invoke(ctx)


class Group(click.Group):
    """A group of chaosguard commands (its subcommands are :class:`Command`), same boundary."""

    command_class = Command

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _command_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _boundary(ctx):
            return super().invoke(ctx)
