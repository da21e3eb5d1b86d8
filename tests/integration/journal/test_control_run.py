"""A real ``chaos run`` with the publishing control: every publisher gets the run, no output holds a
secret; failed and interrupted runs are published too.

The experiment plants secrets the ways Chaos Toolkit allows (a ``secrets`` block with env and
literal values substituted into arguments, an env-sourced configuration value) and its activities
echo them in an output and an exception. Outputs grepped: the directory copy, JUnit, Markdown, the
HTML report, the body the HTTPS webhook receiver got, and what the real Pushgateway serves.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import yaml

from chaosguard.journal.redact import REDACTED
from tests.helpers import ROOT, default_sigint, wait_until
from tests.integration.journal.conftest import Pushgateway, Receiver, Tls

SECRETS = {
    "APP_TOKEN": "s3cr3t-app-token-e2e-71c4",
    "DB_PASSWORD": "s3cr3t-db-password-e2e-93af",
    "HOOK_TOKEN": "s3cr3t-hook-token-e2e-5d21",
}
LITERAL = "s3cr3t-literal-e2e-0b7e"
ECHO = "tests.integration.journal.echo"


def _experiment() -> dict[str, Any]:
    def step(name: str, func: str, text: str) -> dict[str, Any]:
        return {
            "type": "action",
            "name": name,
            "provider": {
                "type": "python",
                "module": ECHO,
                "func": func,
                "arguments": {"text": text},
                "secrets": ["app"],
            },
        }

    return {
        "title": "Secrets never leak from a published run",
        "description": "publishing e2e",
        "secrets": {
            "app": {"api_token": {"type": "env", "key": "APP_TOKEN"}, "literal_value": LITERAL}
        },
        "configuration": {"db_password": {"type": "env", "key": "DB_PASSWORD"}},
        "controls": [
            {
                "name": "chaosguard-publish",
                "provider": {"type": "python", "module": "chaosguard.journal.control"},
            }
        ],
        "method": [
            step(
                "echo-secrets",
                "echo",
                "token ${api_token} literal ${literal_value} db ${db_password}",
            ),
            step("fail-with-secret", "fail_with", "Authorization: Bearer ${api_token}"),
        ],
    }


def _outputs(root: Path, receiver: Receiver, pushgateway: Pushgateway) -> dict[str, str]:
    (run_dir,) = list((root / "runs").iterdir())
    out = {p.name: p.read_text() for p in sorted(run_dir.iterdir())}
    out["webhook body"] = receiver.requests[0].body.decode()
    out["pushgateway"] = pushgateway.metrics()
    return out


def test_published_everywhere_and_no_secret_anywhere(
    tmp_path: Path,
    chaos_env: dict[str, str],
    tls: Tls,
    receiver: Receiver,
    pushgateway: Pushgateway,
) -> None:
    settings = {
        "chaosguard": {
            "publishers": [
                {
                    "type": "webhook",
                    "url": receiver.url,
                    "verify": str(tls.ca),
                    "auth_env": "HOOK_TOKEN",
                    "auth_scheme": "Bearer",
                },
                {"type": "pushgateway", "url": pushgateway.url, "job": "e2e"},
                {"type": "directory", "root": str(tmp_path / "runs")},
                {"type": "junit"},
                {"type": "markdown", "step_summary": False},
                {"type": "html"},
            ]
        }
    }
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump(settings))
    (tmp_path / "experiment.yaml").write_text(yaml.safe_dump(_experiment(), sort_keys=False))
    env = {**chaos_env, **SECRETS, "PYTHONPATH": str(ROOT)}
    env.pop("GITHUB_STEP_SUMMARY", None)
    proc = subprocess.run(
        [
            "chaos",
            "--no-version-check",
            "--no-log-file",
            "--settings",
            str(tmp_path / "settings.yaml"),
            "run",
            "--journal-path",
            str(tmp_path / "raw.json"),
            str(tmp_path / "experiment.yaml"),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    raw = (tmp_path / "raw.json").read_text()
    # Even Chaos Toolkit's own journal file holds the redaction mark, not the planted secret.
    assert SECRETS["APP_TOKEN"] not in raw and REDACTED in raw, raw[-2000:]
    assert len(receiver.requests) == 1, proc.stderr[-3000:]

    outputs = _outputs(tmp_path, receiver, pushgateway)
    assert sorted(outputs) == [
        "journal.json",
        "junit.xml",
        "pushgateway",
        "report.html",
        "summary.md",
        "webhook body",
    ]
    planted = [*SECRETS.values(), LITERAL]
    leaks = {name: [s for s in planted if s in text] for name, text in outputs.items()}
    assert all(not found for found in leaks.values()), leaks

    journal = json.loads(outputs["journal.json"])
    assert journal["run"][0]["output"] == {"echo": "token *** literal *** db ***"}
    assert "Bearer ***" in journal["run"][1]["exception"][-1]
    assert receiver.requests[0].headers["authorization"] == f"Bearer {SECRETS['HOOK_TOKEN']}"
    assert (
        'chaos_experiment_status{experiment="secrets-never-leak-from-a-published-run"'
        in outputs["pushgateway"]
    )
    assert "action-failed" in outputs["junit.xml"] and "action-failed" in outputs["summary.md"]
    assert "Secrets never leak from a published run" in outputs["report.html"]


def _run_with_control(
    tmp_path: Path,
    chaos_env: dict[str, str],
    doc: dict[str, Any],
    interrupt_when: Path | None = None,
) -> tuple[int, dict[str, Any]]:
    settings = {
        "chaosguard": {"publishers": [{"type": "directory", "root": str(tmp_path / "runs")}]}
    }
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump(settings))
    (tmp_path / "experiment.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    proc = subprocess.Popen(
        [
            "chaos",
            "--no-version-check",
            "--no-log-file",
            "--settings",
            str(tmp_path / "settings.yaml"),
            "run",
            "--journal-path",
            str(tmp_path / "raw.json"),
            str(tmp_path / "experiment.yaml"),
        ],
        env={**chaos_env, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        preexec_fn=default_sigint,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if interrupt_when is not None:  # Ctrl-C once the action runs
        assert wait_until(interrupt_when.exists, timeout=60), proc.stderr
        proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    (published,) = list((tmp_path / "runs").glob("*/journal.json"))
    return proc.returncode, json.loads(published.read_text())


def _control_only(
    method: list[dict[str, Any]], hypothesis: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "title": "Published whatever happens",
        "description": "e2e",
        "method": method,
        "controls": [
            {
                "name": "chaosguard-publish",
                "provider": {"type": "python", "module": "chaosguard.journal.control"},
            }
        ],
    }
    if hypothesis:
        doc["steady-state-hypothesis"] = {"title": "h", "probes": hypothesis}
    return doc


def test_a_failed_run_is_published(tmp_path: Path, chaos_env: dict[str, str]) -> None:
    probe = {
        "type": "probe",
        "name": "broken-probe",
        "tolerance": True,
        "provider": {
            "type": "python",
            "module": ECHO,
            "func": "fail_with",
            "arguments": {"text": "x"},
        },
    }
    rc, journal = _run_with_control(
        tmp_path,
        chaos_env,
        _control_only(
            [
                {
                    "type": "action",
                    "name": "never",
                    "provider": {
                        "type": "python",
                        "module": ECHO,
                        "func": "echo",
                        "arguments": {"text": "x"},
                    },
                }
            ],
            [probe],
        ),
    )
    assert rc == 1 and journal["status"] == "failed" and journal["run"] == []


def test_an_interrupted_run_is_published(tmp_path: Path, chaos_env: dict[str, str]) -> None:
    started = tmp_path / "nap-started"
    nap = {
        "type": "action",
        "name": "nap",
        "provider": {
            "type": "python",
            "module": ECHO,
            "func": "nap",
            "arguments": {"seconds": 30, "started": str(started)},
        },
    }
    rc, journal = _run_with_control(
        tmp_path, chaos_env, _control_only([nap]), interrupt_when=started
    )
    assert rc == 1 and journal["status"] == "interrupted"
