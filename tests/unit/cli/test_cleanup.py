"""``chaos cleanup`` in-process, through Chaos Toolkit's ``chaos`` group: exit codes, one-line
errors, the one faults entry point (``chaosguard.faults.cleanup.sweep``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from chaosguard.faults.items import CleanupItem


def chaos(cwd: Path, *args: str) -> Result:
    """``chaos --no-version-check --no-log-file cleanup ARGS`` in this process."""
    from chaostoolkit.cli import cli

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        mp.setenv("CHAOSGUARD_HOME", os.environ["CHAOSGUARD_HOME"])  # --state-dir changes it
        result = CliRunner().invoke(
            cli, ["--no-version-check", "--no-log-file", "cleanup", *args], prog_name="chaos"
        )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result


def test_a_bad_option_exits_4(tmp_path: Path) -> None:
    result = chaos(tmp_path, "--bogus")
    assert result.exit_code == 4
    assert result.stderr.startswith("Usage: chaos cleanup ")
    assert result.stderr.rstrip().endswith("Error: No such option '--bogus'.")


def test_a_state_dir_under_a_file_exits_4_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = chaos(tmp_path, "--state-dir", "file/x")
    assert result.exit_code == 4
    assert result.stderr == (
        "Error: invalid argument '--state-dir': file/x/ledger: Not a directory\n"
    )


def test_a_state_dir_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = chaos(tmp_path, "--state-dir", "file")
    assert result.exit_code == 4 and "is a file" in result.stderr


def test_nothing_open_exits_0(tmp_path: Path) -> None:
    result = chaos(tmp_path, "--state-dir", "state")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Nothing open: no fault of a dead run is left in state.\n"


def _items(*outcomes: str) -> list[CleanupItem]:
    return [
        CleanupItem("run-1", f"run-1.{i}", "latency-toxic", outcome, pid=4242)
        for i, outcome in enumerate(outcomes)
    ]


def test_a_failed_revert_is_listed_then_exits_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def sweep(root: Path, dry_run: bool = False, run_id: str | None = None) -> list[CleanupItem]:
        calls.append({"root": root, "dry_run": dry_run})
        return _items("reverted", "failed: proxy unreachable")

    monkeypatch.setattr("chaosguard.faults.cleanup.sweep", sweep)
    result = chaos(tmp_path, "--state-dir", "state")
    assert result.exit_code == 4
    assert calls == [{"root": Path("state"), "dry_run": False}]
    assert "Reverted leftovers of dead runs" in result.stdout and "failed: proxy" in result.stdout
    assert result.stderr == (
        "Error: 1 fault(s) could not be reverted; they stay open for the next cleanup\n"
    )


def test_a_dry_run_lists_and_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def sweep(root: Path, dry_run: bool = False, run_id: str | None = None) -> list[CleanupItem]:
        seen.append(dry_run)
        return _items("would-revert")

    monkeypatch.setattr("chaosguard.faults.cleanup.sweep", sweep)
    result = chaos(tmp_path, "--dry-run", "--state-dir", "state")
    assert result.exit_code == 0 and seen == [True]
    assert "Dry run: would revert" in result.stdout and "would-revert" in result.stdout


def test_a_dry_run_shows_the_exact_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = "pid 4242 (started 1796019110.5) and processes whose command line carries x"

    def sweep(root: Path, dry_run: bool = False, run_id: str | None = None) -> list[CleanupItem]:
        return [CleanupItem("run-1", "run-1.0", "cpu-stress", "would-revert", 7, target)]

    monkeypatch.setattr("chaosguard.faults.cleanup.sweep", sweep)
    monkeypatch.setenv("COLUMNS", "400")
    result = chaos(tmp_path, "--dry-run", "--state-dir", "state")
    assert result.exit_code == 0 and target in result.stdout


def test_a_refused_or_quarantined_entry_is_listed_then_exits_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sweep(root: Path, dry_run: bool = False, run_id: str | None = None) -> list[CleanupItem]:
        return [
            CleanupItem("run-1", "run-1.0", "cpu-stress", "refused: handles: create_time missing"),
            CleanupItem("run-2", "-", "ledger", "quarantined: line 2 is not a JSON object"),
        ]

    monkeypatch.setattr("chaosguard.faults.cleanup.sweep", sweep)
    monkeypatch.setenv("COLUMNS", "400")
    result = chaos(tmp_path, "--state-dir", "state")
    assert result.exit_code == 4
    assert "quarantined: line 2" in result.stdout and "refused: handles" in result.stdout
    assert result.stderr.startswith("Error: 2 ledger item(s) refused or quarantined in ")
    assert result.stderr.count("\n") == 1


def test_a_world_writable_state_dir_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "loose").mkdir()
    os.chmod(tmp_path / "loose", 0o777)
    result = chaos(tmp_path, "--state-dir", "loose")
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: state directory loose is writable by group or others")
    assert result.stderr.count("\n") == 1
