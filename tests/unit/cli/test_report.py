"""``chaos report`` in-process, through Chaos Toolkit's ``chaos`` group: exit codes, one-line
errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.unit.journal.samples import met_journal


def chaos(cwd: Path, *args: str) -> Result:
    """``chaos --no-version-check --no-log-file report ARGS`` in this process."""
    from chaostoolkit.cli import cli

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        result = CliRunner().invoke(
            cli, ["--no-version-check", "--no-log-file", "report", *args], prog_name="chaos"
        )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result


def journal(tmp_path: Path) -> str:
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(met_journal()))
    return str(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Error: Missing argument 'JOURNALS...'."),
        (["missing.json"], "does not exist"),
        (["j.json", "--bogus"], "Error: No such option '--bogus'."),
    ],
)
def test_usage_errors_exit_4(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "j.json").write_text("{}")
    result = chaos(tmp_path, *args)
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith("Usage: chaos report ") and message in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not a JSON journal: Expecting property name"),
        ('{"not": "a journal"}', "is not a Chaos Toolkit journal (no 'experiment' key)"),
        (b"\xff\xfe", "is not a JSON journal"),
    ],
)
def test_a_bad_journal_is_one_line_and_exit_4(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = chaos(tmp_path, str(bad))
    assert result.exit_code == 4
    assert result.stderr.startswith(f"Error: invalid argument 'journal': {bad} ")
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "report.html").exists()


def test_an_output_under_a_file_names_the_option(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = chaos(tmp_path, journal(tmp_path), "-o", "file/report.html")
    assert result.exit_code == 4
    assert result.stderr == "Error: invalid argument '--output': file: File exists\n"


def test_writes_the_report(tmp_path: Path) -> None:
    result = chaos(tmp_path, journal(tmp_path), "--markdown", "out/summary.md")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["wrote report.html", "wrote out/summary.md"]
    assert "Service survives a pod kill" in (tmp_path / "report.html").read_text()
