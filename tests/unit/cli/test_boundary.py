"""The CLI boundary, in-process: what a command raises becomes one ``Error:`` line and its exit
code."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from chaosguard.cli.boundary import Command, Group
from chaosguard.errors import (
    Aborted,
    ChaosGuardError,
    Deviated,
    InvalidArgument,
    Refused,
    RevertError,
)

RAISED: dict[str, BaseException] = {
    "deviated": Deviated("game day deviated: experiment 2"),
    "aborted": Aborted("game day aborted:\n  experiment 1"),
    "refused": Refused("refused by policy: freeze"),
    "invalid": InvalidArgument("--cron", "expected 5 fields"),
    "revert": RevertError("1 fault(s) could not be reverted"),
    "plain": ChaosGuardError("something failed"),
    "oserror": ConnectionRefusedError(111, "Connection refused"),
    "bug": KeyError("missing"),
    "click": click.ClickException("a click failure"),
}


@click.group("tool", cls=Group)
def tool() -> None:
    """A group like ``chaos gameday``."""


@tool.command("fail")
@click.argument("what", type=click.Choice(sorted(RAISED)))
def fail(what: str) -> None:
    """Raise RAISED[what]."""
    raise RAISED[what]


@tool.command("write")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@click.option("--state-dir", type=click.Path(path_type=Path), default=None)
def write(output: Path, state_dir: Path | None) -> None:
    """Write a file under --output (a file or a directory that may not be one)."""
    (output / "ledger").mkdir(parents=True)


@tool.command("ok")
def ok() -> None:
    """Print and exit 0."""
    click.echo("fine")


@click.command("single", cls=Command)
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), required=True)
def single(state_dir: Path) -> None:
    """A command like ``chaos cleanup``."""
    (state_dir / "ledger").mkdir(parents=True)


def invoke(command: click.Command, *args: str) -> Result:
    result = CliRunner().invoke(command, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


@pytest.mark.parametrize(
    ("what", "code", "line"),
    [
        ("deviated", 1, "Error: game day deviated: experiment 2"),
        ("aborted", 2, "Error: game day aborted: experiment 1"),
        ("refused", 3, "Error: refused by policy: freeze"),
        ("invalid", 4, "Error: invalid argument '--cron': expected 5 fields"),
        ("revert", 4, "Error: 1 fault(s) could not be reverted"),
        ("plain", 4, "Error: something failed"),
        ("oserror", 4, "Error: Connection refused"),
        ("bug", 4, "Error: unexpected KeyError: 'missing'"),
        ("click", 4, "Error: a click failure"),
    ],
)
def test_errors_become_their_exit_code_and_one_line(what: str, code: int, line: str) -> None:
    result = invoke(tool, "fail", what)
    assert result.exit_code == code, result.output
    assert result.stderr == f"{line}\n"
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["nothing"],  # no such command
        ["fail"],  # missing argument
        ["fail", "nope"],  # bad choice
        ["ok", "--bogus"],  # no such option
        ["write"],  # missing option
    ],
)
def test_usage_errors_exit_4_with_clicks_message(args: list[str]) -> None:
    result = invoke(tool, *args)
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith("Usage: tool ")
    assert len(error_lines(result)) == 1


def test_a_group_without_a_command_shows_its_help_and_exits_4() -> None:
    result = invoke(tool)
    assert result.exit_code == 4 and "Commands:" in result.output


def test_success_and_help_exit_0() -> None:
    assert invoke(tool, "ok").stdout == "fine\n"
    assert invoke(tool, "ok").exit_code == 0
    assert invoke(tool, "write", "--help").exit_code == 0
    assert invoke(single, "--help").exit_code == 0


def test_an_unusable_path_names_its_option(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = invoke(single, "--state-dir", str(tmp_path / "file" / "x"))
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: invalid argument '--state-dir': {tmp_path / 'file' / 'x' / 'ledger'}: "
        "Not a directory\n"
    )
    result = invoke(tool, "write", "-o", str(tmp_path / "file"), "--state-dir", str(tmp_path))
    assert result.exit_code == 4  # the most specific option wins: -o, not --state-dir
    assert result.stderr.startswith(f"Error: invalid argument '--output': {tmp_path / 'file'}")


def test_an_unusable_path_of_no_option_is_named_alone(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")

    @click.command("elsewhere", cls=Command)
    def elsewhere() -> None:
        (tmp_path / "file" / "sub").mkdir()

    result = invoke(elsewhere)
    assert result.exit_code == 4
    assert result.stderr == f"Error: {tmp_path / 'file' / 'sub'}: Not a directory\n"


def test_keyboard_interrupt_is_left_to_click() -> None:
    @click.command("interrupted", cls=Command)
    def interrupted() -> None:
        raise KeyboardInterrupt

    result = CliRunner().invoke(interrupted, [])
    assert result.exit_code == 1 and "Aborted!" in result.output  # click's own handling


def test_every_chaosguard_command_is_behind_the_boundary() -> None:
    plugins = {
        ep.name: ep.load()
        for ep in entry_points(group="chaostoolkit.cli_plugins")
        if ep.value.startswith("chaosguard.")
    }
    assert set(plugins) == {"cleanup", "guard", "report", "gameday", "ledger"}
    for name, command in plugins.items():
        assert isinstance(command, (Command, Group)), name
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                assert isinstance(sub, Command), f"{name} {sub.name}"
