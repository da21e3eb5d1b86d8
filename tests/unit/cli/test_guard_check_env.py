"""``chaos guard check`` without the run's environment: what can be judged is, the rest is listed.

In-process through Chaos Toolkit's ``chaos`` group, on the repository's demo experiment (which
reads ``DEMO_SERVICE_URL``) and on small experiments written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from chaosguard.guard.document import deferred_env
from tests.helpers import ROOT

DEMO = ROOT / "experiments" / "demo" / "latency-slo.yaml"


def check(path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> Result:
    from chaostoolkit.cli import cli

    monkeypatch.delenv("CHAOSGUARD_POLICY", raising=False)
    result = CliRunner().invoke(
        cli,
        ["--no-version-check", "--no-log-file", "guard", "check", str(path), *extra],
        prog_name="chaos",
        terminal_width=200,
    )
    assert "Traceback" not in result.output
    return result


def test_the_demo_experiment_is_checked_without_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DEMO_SERVICE_URL", raising=False)
    result = check(DEMO, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "environment key that does not exist" not in result.output
    assert "would run" in result.output
    assert "the run will need: DEMO_SERVICE_URL" in result.output
    assert "configuration.service_url" in result.output


def test_a_set_variable_is_not_listed_as_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_SERVICE_URL", "http://127.0.0.1:9/")
    result = check(DEMO, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "the run will need" not in result.output
    assert "env DEMO_SERVICE_URL" in result.output and "set here" in result.output


def _experiment(tmp_path: Path, latency: object) -> Path:
    doc = yaml.safe_load(DEMO.read_text())
    doc["method"][0]["provider"]["arguments"]["latency_ms"] = latency
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_what_can_be_judged_still_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad literal argument is still found without the environment (exit 4, naming it)."""
    monkeypatch.delenv("DEMO_SERVICE_URL", raising=False)
    result = check(_experiment(tmp_path, "fast"), monkeypatch)
    assert result.exit_code == 4
    assert "method[0].provider.arguments.latency_ms: expected float, got str" in result.output


def test_a_policy_refusal_is_still_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_SERVICE_URL", raising=False)
    switch = tmp_path / "stop-chaos"
    switch.write_text("on\n")
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump({"kill_switch": {"file": [str(switch)]}}))
    result = check(DEMO, monkeypatch, "--policy", str(policy))
    assert result.exit_code == 3, result.output
    assert "kill switch" in result.output
    assert "the run will need" not in result.output  # refused: no "would run" summary


def test_deferred_env_keeps_defaults_set_values_and_lists_secrets() -> None:
    experiment = {
        "configuration": {
            "url": {"type": "env", "key": "URL"},
            "name": {"type": "env", "key": "NAME", "default": "x"},
            "port": {"type": "env", "key": "PORT", "env_var_type": "int"},
            "plain": "value",
        },
        "secrets": {"api": {"token": {"type": "env", "key": "TOKEN"}, "fixed": "s"}},
    }
    doc, needs = deferred_env(experiment, {"PORT": "8080"})
    assert doc["configuration"]["url"] == "${URL}"
    assert doc["configuration"]["name"] == experiment["configuration"]["name"]
    assert doc["configuration"]["port"] == experiment["configuration"]["port"]  # set: untouched
    assert doc["secrets"]["api"] == {"token": "${TOKEN}", "fixed": "s"}
    assert needs == [
        ("URL", "configuration.url"),
        ("PORT", "configuration.port"),
        ("TOKEN", "secrets.api.token"),
    ]
    assert experiment["configuration"]["url"] == {"type": "env", "key": "URL"}  # not mutated
