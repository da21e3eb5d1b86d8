"""Exit codes of every chaosguard command through the real ``chaos`` executable (entry points
installed): a bad command line or an unusable path is bad input, exit 4, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import VENV_BIN

pytestmark = pytest.mark.slow


def chaos(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(VENV_BIN / "chaos"), "--no-version-check", "--no-log-file", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["cleanup", "--bogus"], "Error: No such option '--bogus'."),
        (["report"], "Error: Missing argument 'JOURNALS...'."),
        (["guard", "nope"], "Error: No such command 'nope'."),
        (["guard", "check"], "Error: Missing argument 'EXPERIMENT'."),
        (["gameday", "run", "x.yaml", "--bogus"], "Error: No such option '--bogus'."),
    ],
)
def test_a_bad_command_line_exits_4(
    chaos_env: dict[str, str], tmp_path: Path, args: list[str], error: str
) -> None:
    result = chaos(chaos_env, tmp_path, *args)
    assert result.returncode == 4, result.stderr
    assert result.stderr.startswith(f"Usage: chaos {args[0]}")
    assert result.stderr.splitlines()[-1].startswith(error), result.stderr  # "Did you mean ...?"


def test_cleanup_with_a_state_dir_under_a_file_exits_4_in_one_line(
    chaos_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    result = chaos(chaos_env, tmp_path, "cleanup", "--state-dir", "file/x")
    assert result.returncode == 4, result.stderr
    assert result.stderr.startswith("Error: invalid argument '--state-dir': file/x")
    assert result.stderr.endswith(": Not a directory\n") and len(result.stderr.splitlines()) == 1


def test_cleanup_with_nothing_open_exits_0(chaos_env: dict[str, str], tmp_path: Path) -> None:
    result = chaos(chaos_env, tmp_path, "cleanup", "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 0, result.stderr
    assert "Nothing open" in result.stdout
