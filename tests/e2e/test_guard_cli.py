"""``chaos guard schema`` and ``chaos guard check`` as a person runs them: a real ``chaos`` process.

Exit codes: 0 would run · 3 refused by policy · 4 invalid input (one ``Error:`` line, no traceback).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import VENV_BIN

ROOT = Path(__file__).resolve().parents[2]

GUARDED: dict[str, Any] = {
    "title": "CPU stress keeps p95 under 500 ms",
    "description": "Two busy workers for one second.",
    "method": [
        {
            "type": "action",
            "name": "cpu",
            "provider": {
                "type": "python",
                "module": "chaosguard.actions.stress",
                "func": "stress_cpu",
                "arguments": {"workers": 2, "duration_s": 1},
            },
        }
    ],
    "rollbacks": [
        {
            "type": "action",
            "name": "stop",
            "provider": {
                "type": "python",
                "module": "chaosguard.actions.stress",
                "func": "stop_stress",
            },
        }
    ],
    "extensions": [
        {
            "name": "chaosguard",
            "guards": [
                {"name": "p95", "source": "http", "url": "http://127.0.0.1:8080/", "max": 500}
            ],
        }
    ],
}
POLICY = """
windows: [{days: [mon-fri], start: "09:00", end: "17:00", timezone: Europe/Paris}]
freeze: [{start: 2026-12-18, end: 2027-01-04, timezone: Europe/Paris, reason: end-of-year freeze}]
kill_switch: {env: CG_E2E_STOP}
local: {max_cpu_workers: 2}
"""
OPEN = "2026-03-25T10:00:00+01:00"  # a Wednesday, inside the window


def chaos(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``chaos --no-version-check guard ARGS`` in a subprocess; check the one-line-error
    contract."""
    result = subprocess.run(
        [str(VENV_BIN / "chaos"), "--no-version-check", "guard", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    _contract(result.returncode, result.stdout, result.stderr)
    return result


def chaos_in_process(
    env: dict[str, str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """The same command line through the real ``chaos`` click group, in this process (fast)."""
    from chaostoolkit.cli import cli

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        for key in ("CHAOSGUARD_POLICY", "CG_E2E_STOP"):
            mp.delenv(key, raising=False)
        for key, value in env.items():
            mp.setenv(key, value)
        result = CliRunner().invoke(cli, ["--no-version-check", "--no-log-file", "guard", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    _contract(result.exit_code, result.stdout, result.stderr)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def _contract(code: int, stdout: str, stderr: str) -> None:
    assert "Traceback" not in stdout + stderr, stdout + stderr
    if code in (3, 4) and not stderr.startswith("Usage:"):
        errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and stderr.rstrip().endswith(errors[0]), stderr


@pytest.fixture()
def env(chaos_env: dict[str, str]) -> dict[str, str]:
    """The subprocess environment: this venv first on PATH, no outside policy or kill switch."""
    chaos_env.pop("CHAOSGUARD_POLICY", None)
    chaos_env.pop("CG_E2E_STOP", None)
    chaos_env["COLUMNS"] = "160"
    return chaos_env


def write(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return str(path)


def test_schema(env: dict[str, str], tmp_path: Path) -> None:
    both = chaos(env, tmp_path, "schema")
    assert both.returncode == 0
    document = json.loads(both.stdout)
    assert set(document) == {"policy", "experiment"}
    policy = json.loads(chaos_in_process({}, tmp_path, "schema", "policy").stdout)
    assert "windows" in policy["properties"] and "kill_switch" in policy["properties"]
    assert policy == document["policy"]
    experiment = json.loads(chaos_in_process({}, tmp_path, "schema", "experiment").stdout)
    assert set(experiment["properties"]) == {"name", "policy", "guards"}
    bad = chaos_in_process({}, tmp_path, "schema", "everything")
    assert bad.returncode == 4 and "'everything' is not one of" in bad.stderr


def test_a_guarded_experiment_inside_the_window_would_run(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = chaos(
        env,
        tmp_path,
        "check",
        write(tmp_path, "e.yaml", GUARDED),
        "--policy",
        write(tmp_path, "p.yaml", POLICY),
        "--at",
        OPEN,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "inside window mon-fri 09:00-17:00 Europe/Paris" in result.stdout
    assert "would run" in result.stdout


@pytest.mark.parametrize(
    ("at", "extra_env", "change", "reason"),
    [
        ("2026-03-28T10:00:00+01:00", {}, None, "time window: outside every allowed window"),
        ("2026-12-22T10:00:00+01:00", {}, None, "freeze: frozen from"),
        (OPEN, {"CG_E2E_STOP": "1"}, None, "kill switch: ON (env CG_E2E_STOP)"),
        (OPEN, {}, ("guards", []), "guards: the experiment declares no guards"),
        (
            OPEN,
            {},
            ("workers", 4),
            "blast radius method[0]: workers=4 exceeds policy local.max_cpu_workers=2",
        ),
    ],
)
def test_refused_by_policy_exits_3(
    env: dict[str, str],
    tmp_path: Path,
    at: str,
    extra_env: dict[str, str],
    change: tuple[str, Any] | None,
    reason: str,
) -> None:
    doc = json.loads(json.dumps(GUARDED))
    if change and change[0] == "guards":
        doc["extensions"][0]["guards"] = []
    elif change:
        doc["method"][0]["provider"]["arguments"]["workers"] = change[1]
    result = chaos_in_process(
        extra_env,
        tmp_path,
        "check",
        write(tmp_path, "e.yaml", doc),
        "--policy",
        write(tmp_path, "p.yaml", POLICY),
        "--at",
        at,
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "REFUSED" in result.stdout
    assert result.stderr.startswith(f"Error: refused by policy: {reason}"), result.stderr


def test_policy_from_the_environment(env: dict[str, str], tmp_path: Path) -> None:
    env["CHAOSGUARD_POLICY"] = write(tmp_path, "p.yaml", POLICY)
    result = chaos(
        env, tmp_path, "check", write(tmp_path, "e.yaml", GUARDED), "--at", "2026-03-29T10:00+02:00"
    )
    assert result.returncode == 3 and "time window" in result.stderr


@pytest.mark.parametrize(
    ("experiment", "policy", "args", "error"),
    [
        (
            "title: [",
            None,
            [],
            (
                "Error: invalid argument 'experiment': {e} is not valid YAML: expected the node "
                "content, but found '<stream end>' at line 1 column 9"
            ),
        ),
        ("", None, [], "Error: invalid argument 'experiment': {e} is empty"),
        (
            "- 1\n",
            None,
            [],
            (
                "Error: invalid argument 'experiment': {e}: expected a mapping at the top level, "
                "got list"
            ),
        ),
        (
            None,
            "windows: [{timezone: Mars/Base}]\n",
            [],
            (
                "Error: invalid argument 'policy.windows.0.timezone': unknown time zone "
                "'Mars/Base' (in {p})"
            ),
        ),
        (
            None,
            None,
            ["--policy", "/nonexistent/policy.yaml"],
            (
                "Error: invalid argument 'policy_file': cannot read /nonexistent/policy.yaml: "
                "No such file or directory"
            ),
        ),
        (
            None,
            None,
            ["--at", "next tuesday"],
            (
                "Error: invalid argument '--at': expected an ISO 8601 time like "
                "2026-12-24T10:00+01:00 (got 'next tuesday')"
            ),
        ),
        ({**GUARDED, "title": 7}, None, [], "Error: title: expected a string, got int"),
    ],
)
def test_invalid_input_exits_4_with_one_line(
    env: dict[str, str],
    tmp_path: Path,
    experiment: Any,
    policy: str | None,
    args: list[str],
    error: str,
) -> None:
    e = write(tmp_path, "e.yaml", GUARDED if experiment is None else experiment)
    p = write(tmp_path, "p.yaml", policy) if policy else ""
    result = chaos_in_process({}, tmp_path, "check", e, *(["--policy", p] if p else []), *args)
    assert result.returncode == 4, result.stdout + result.stderr
    assert result.stderr.strip() == error.format(e=e, p=p)


def test_several_problems_are_listed_then_one_error_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    doc = json.loads(json.dumps(GUARDED))
    doc["title"] = 1
    doc["method"][0]["provider"]["arguments"]["workers"] = "two"
    doc["steady-state-hypothesis"] = {
        "title": "h",
        "probes": [{**doc["method"][0], "tolerance": True}],
    }
    e = write(tmp_path, "e.yaml", doc)
    result = chaos_in_process({}, tmp_path, "check", e)
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == f"Error: 4 problems in {e} (listed above)"
    assert "Problem: method[0].provider.arguments.workers: expected int, got str" in lines


def test_usage_errors_exit_4(env: dict[str, str], tmp_path: Path) -> None:
    assert chaos(env, tmp_path, "nope").returncode == 4
    assert chaos_in_process({}, tmp_path, "check").returncode == 4


def test_real_process_exit_codes_3_and_4(env: dict[str, str], tmp_path: Path) -> None:
    e, p = write(tmp_path, "e.yaml", GUARDED), write(tmp_path, "p.yaml", POLICY)
    refused = chaos(
        {**env, "CG_E2E_STOP": "yes"}, tmp_path, "check", e, "--policy", p, "--at", OPEN
    )
    assert refused.returncode == 3
    assert refused.stderr.startswith("Error: refused by policy: kill switch: ON (env CG_E2E_STOP)")
    bad = write(tmp_path, "bad.yaml", "guard: {interval_s: 0}\n")
    invalid = chaos(env, tmp_path, "check", e, "--policy", bad)
    assert invalid.returncode == 4
    assert invalid.stderr == (
        f"Error: invalid argument 'policy.guard.interval_s': must be >= 0.1 (got 0) (in {bad})\n"
    )


def test_the_example_policy_is_valid(env: dict[str, str], tmp_path: Path) -> None:
    result = chaos_in_process(
        {},
        tmp_path,
        "check",
        write(tmp_path, "e.yaml", GUARDED),
        "--policy",
        str(ROOT / "experiments" / "policy.example.yaml"),
        "--at",
        "2026-03-25T11:00+01:00",
    )
    assert result.returncode == 0, result.stdout + result.stderr
