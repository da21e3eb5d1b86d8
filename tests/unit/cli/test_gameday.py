"""``chaos gameday`` in-process (click's CliRunner): exit codes, one-line errors, options reaching
the runner."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from chaosguard.cli.gameday import gameday

FAKE = Path(__file__).parents[1] / "gameday" / "fake_chaos.py"
GUARD = {"name": "value", "source": "python", "func": "tests.guard_values:read_value", "max": 10}
EXPERIMENT = {
    "title": "waits",
    "description": "d",
    "method": [
        {
            "type": "action",
            "name": "wait",
            "provider": {
                "type": "python",
                "module": "tests.guard_values",
                "func": "wait",
                "arguments": {"seconds": 0.1},
            },
        }
    ],
}


def invoke(cwd: Path, *args: str) -> Result:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        result = CliRunner().invoke(gameday, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    if result.exit_code:
        errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
        assert len(errors) == 1 or result.stderr.startswith("Usage:"), result.stderr
    return result


@pytest.fixture()
def fake_chaos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the runner start fake_chaos.py instead of chaos; the guard reads value 1."""
    path = tmp_path / "chaos"
    path.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE} "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr("chaosguard.gameday.launch.chaos_executable", lambda: str(path))
    (tmp_path / "value.txt").write_text("1")
    monkeypatch.setenv("CG_TEST_VALUE_FILE", str(tmp_path / "value.txt"))
    return path


def experiment(tmp_path: Path, name: str, fake: dict[str, Any] | None = None) -> str:
    (tmp_path / name).write_text(yaml.safe_dump({**EXPERIMENT, "fake": fake or {}}))
    return name


def test_schema(tmp_path: Path) -> None:
    result = invoke(tmp_path, "schema")
    assert (
        result.exit_code == 0 and json.loads(result.stdout)["title"] == "chaosguard game-day suite"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "nope.yaml"],
            "Error: invalid argument 'suite': cannot read nope.yaml: No such file or directory",
        ),
        (
            ["run", "e.yaml", "nope.yaml"],
            "Error: invalid argument 'experiments.1.path': file not found: nope.yaml",
        ),
        (
            ["run", "e.yaml", "--policy", "nope.yaml"],
            "Error: invalid argument '--policy': file not found: nope.yaml",
        ),
        (
            ["run", "e.yaml", "--guards", "e.yaml"],
            "Error: invalid argument '--guards': e.yaml: expected a list of guards",
        ),
        (
            ["run", "e.yaml", "--chaos-args", "'unbalanced"],
            "Error: invalid argument '--chaos-args': No closing quotation",
        ),
        (["run", "list.yaml"], "Error: invalid argument 'experiments.0.path': "),
        (
            ["schedule", "e.yaml", "--cron", "0 9 * * 1"],
            "Error: invalid argument 'name': required field missing",
        ),
        (
            ["schedule", "suite.yaml", "--cron", "0 9 * *"],
            "Error: invalid argument '--cron': expected 5 fields",
        ),
        (
            ["schedule", "suite.yaml", "--cron", "@daily", "--kubernetes"],
            "Error: invalid argument '--image': required",
        ),
        (
            ["schedule", "suite.yaml", "--cron", "@daily", "--env", "NOEQUALS"],
            "Error: invalid argument '--env'",
        ),
    ],
)
def test_bad_input_exits_4_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    experiment(tmp_path, "e.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump({"name": "s", "experiments": ["e.yaml"]}))
    result = invoke(tmp_path, *args)
    assert result.exit_code == 4, result.output
    assert result.stderr.strip().startswith(message), result.stderr


@pytest.mark.parametrize(
    "args", [["run"], ["run", "x", "--bogus"], ["nothing"], ["schedule", "s.yaml"]]
)
def test_usage_errors_exit_4(tmp_path: Path, args: list[str]) -> None:
    assert invoke(tmp_path, *args).exit_code == 4


def test_schedule_prints_a_crontab_line(tmp_path: Path) -> None:
    experiment(tmp_path, "e.yaml")
    (tmp_path / "suite.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "nightly",
                "experiments": ["e.yaml"],
                "guards": [{"name": "p95", "source": "http", "url": "${UNSET_HERE}", "max": 5}],
            }
        )
    )
    result = invoke(tmp_path, "schedule", "suite.yaml", "--cron", "30 2 * * *", "--env", "A=b c")
    assert result.exit_code == 0, result.stderr
    line = result.stdout.splitlines()[-1]
    assert (
        line.startswith("30 2 * * * mkdir -p ")
        and f"gameday run {tmp_path / 'suite.yaml'} >> " in line
    )
    assert "A='b c' flock -n" in line


@pytest.mark.usefixtures("fake_chaos")
def test_run_experiment_files_with_options(tmp_path: Path) -> None:
    names = [experiment(tmp_path, "a.yaml", {"outcome": "aborted"}), experiment(tmp_path, "b.yaml")]
    (tmp_path / "guards.yaml").write_text(yaml.safe_dump([GUARD]))
    (tmp_path / "policy.yaml").write_text("allow_unguarded: false\n")
    result = invoke(
        tmp_path,
        "run",
        *names,
        "--guards",
        "guards.yaml",
        "--policy",
        "policy.yaml",
        "--name",
        "cli",
        "--continue-on-abort",
        "--chaos-args",
        "--rollback-strategy always",
        "-o",
        "out/{name}",
    )
    assert result.exit_code == 2, result.output
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("Error: game day aborted (score 33/100): experiment 1 ")
    )
    data = json.loads((tmp_path / "out" / "cli" / "summary.json").read_text())
    assert [e["outcome"] for e in data["experiments"]] == [
        "aborted",
        "met",
    ]  # continued after the abort
    argv = json.loads((tmp_path / "out" / "cli" / "02-b" / "argv.json").read_text())
    assert argv["policy"] == str(tmp_path / "policy.yaml")
    assert argv["argv"][-3:] == ["--rollback-strategy", "always", str(tmp_path / "b.yaml")]
    control = yaml.safe_load(
        (tmp_path / "out" / "cli" / "02-b" / "chaosguard-control.yaml").read_text()
    )
    assert control["chaosguard"]["provider"]["arguments"]["guards"][0]["name"] == "value"


@pytest.mark.usefixtures("fake_chaos")
def test_run_suite_with_overrides(tmp_path: Path) -> None:
    experiment(tmp_path, "a.yaml")
    (tmp_path / "suite.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "s",
                "experiments": ["a.yaml"],
                "guards": [GUARD],
                "chaos_args": ["--hypothesis-strategy", "default"],
            }
        )
    )
    (tmp_path / "p.yaml").write_text("allow_unguarded: false\n")
    result = invoke(
        tmp_path,
        "run",
        "suite.yaml",
        "--policy",
        "p.yaml",
        "--chaos-args",
        "--no-verify-tls",
        "--name",
        "renamed",
        "-o",
        "out",
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert data["suite"] == "renamed" and data["exit_code"] == 0
    argv = json.loads((tmp_path / "out" / "01-a" / "argv.json").read_text())
    assert argv["policy"] == str(tmp_path / "p.yaml")
    assert argv["argv"][-4:-1] == ["--hypothesis-strategy", "default", "--no-verify-tls"]


def test_dry_run_validates_and_runs_nothing(tmp_path: Path) -> None:
    experiment(tmp_path, "a.yaml")
    (tmp_path / "suite.yaml").write_text(
        yaml.safe_dump({"name": "s", "experiments": ["a.yaml"], "guards": [GUARD]})
    )
    result = invoke(tmp_path, "run", "--dry-run", "suite.yaml", "-o", "out")
    assert result.exit_code == 0, result.output
    assert "game day s: valid, nothing run" in result.stdout and "value" in result.stdout
    assert not (tmp_path / "out").exists()
    (tmp_path / "suite.yaml").write_text(
        yaml.safe_dump({"name": "s", "experiments": ["a.yaml", "b.yaml"]})
    )
    bad = invoke(tmp_path, "run", "--dry-run", "suite.yaml")
    assert bad.exit_code == 4 and "'experiments.1.path': file not found: b.yaml" in bad.stderr
