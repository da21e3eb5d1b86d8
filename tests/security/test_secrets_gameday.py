"""Item 10 of issue 9, game days: no raw journal or log in clear, every output file private.

Attack (failed on the code before the fix): a game day left the unredacted journal ``chaos run``
wrote, its ``chaostoolkit.log`` and console output (mode 0644) next to the redacted reports; an
env-sourced configuration value (a Slack hook URL from ``{type: env, key: SLACK_HOOK}``) and a
secret-named one were in them in clear.

A real ``chaos run`` per experiment, guarded by an HTTP guard on a loopback server.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml

from chaosguard.gameday.runner import run_gameday
from chaosguard.gameday.suite import load_suite
from tests.e2e.guarded import probe
from tests.servers import http_server

pytestmark = [pytest.mark.security, pytest.mark.slow]

HOOK = "https://hooks.slack.com/services/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"
APP_TOKEN = "app-token-Zk38Qw0pLm"


def _echo(name: str, value: str) -> dict[str, object]:
    return probe(name, "os.path", "join", a=value)


def _write(tmp_path: Path, guard_url: str) -> Path:
    experiment = {
        "title": "notify the team",
        "description": "echoes env-sourced configuration into its outputs",
        "configuration": {
            "slack_hook": {"type": "env", "key": "SLACK_HOOK"},
            "api_token": {"type": "env", "key": "APP_TOKEN"},
        },
        "steady-state-hypothesis": {"title": "nothing to check", "probes": []},
        "method": [_echo("echo-hook", "${slack_hook}"), _echo("echo-token", "${api_token}")],
    }
    (tmp_path / "notify.yaml").write_text(yaml.safe_dump(experiment, sort_keys=False))
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump({"guard": {"interval_s": 0.2}}))
    suite = {
        "name": "secrets",
        "policy": "policy.yaml",
        "guards": [
            {
                "name": "p95",
                "source": "http",
                "url": guard_url,
                "metric": "p95_ms",
                "window_s": 1,
                "max": 5000,
            }
        ],
        "experiments": ["notify.yaml"],
    }
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def test_gameday_output_is_redacted_and_private(
    tmp_path: Path, chaos_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_HOOK", HOOK)
    monkeypatch.setenv("APP_TOKEN", APP_TOKEN)
    env = {**chaos_env, "SLACK_HOOK": HOOK, "APP_TOKEN": APP_TOKEN}
    with http_server({"/": (0.0, 200)}) as (base, _):
        plan = load_suite(str(_write(tmp_path, base + "/")))
        out = tmp_path / "out"
        result = run_gameday(plan, out, env=env)
    (experiment,) = result.results
    assert experiment.directory is not None
    raw = json.loads((Path(experiment.directory) / "journal.json").read_text())
    outputs = [step.get("output") for step in raw["run"]]
    assert outputs == ["***", "***"], (experiment.outcome, experiment.reason, outputs)
    files = [p for p in out.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"journal.json", "chaostoolkit.log", "output.log", "summary.json"} <= names
    assert {"junit.xml", "report.html", "summary.md"} <= names
    leaks = [
        str(p.relative_to(out))
        for p in files
        if HOOK in p.read_text(errors="replace") or APP_TOKEN in p.read_text(errors="replace")
    ]
    assert leaks == []
    loose = [
        f"{p.relative_to(tmp_path)} {stat.S_IMODE(p.stat().st_mode):o}"
        for p in [out, *out.rglob("*")]
        if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)
    ]
    assert loose == []
