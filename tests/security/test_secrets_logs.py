"""Item 10 of issue 9, logs: Chaos Toolkit's log never holds a secret or an env-sourced
configuration value in clear.

Attack (failed on the code before the fix): chaoslib logs every activity's result at DEBUG into
``chaostoolkit.log`` (``=> succeeded with '<output>'``): a probe echoing a Slack hook URL from
``{type: env, key: SLACK_HOOK}`` left it there in clear. A real ``chaos run`` with the
``chaosguard.journal.control`` control.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.e2e.guarded import probe

pytestmark = pytest.mark.security

HOOK = "https://hooks.slack.com/services/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"
TOKEN = "app-token-Zk38Qw0pLm"


def test_the_chaos_log_is_redacted(tmp_path: Path, chaos_env: dict[str, str]) -> None:
    experiment = {
        "title": "notify",
        "description": "echoes configuration and secrets into its outputs",
        "configuration": {"slack_hook": {"type": "env", "key": "SLACK_HOOK"}},
        "secrets": {"app": {"token": {"type": "env", "key": "APP_TOKEN"}}},
        "controls": [
            {
                "name": "chaosguard-publish",
                "provider": {"type": "python", "module": "chaosguard.journal.control"},
            }
        ],
        "method": [
            probe("echo-hook", "os.path", "join", a="${slack_hook}"),
            probe("echo-plain", "os.path", "join", a="nothing-secret"),
        ],
    }
    (tmp_path / "e.yaml").write_text(yaml.safe_dump(experiment, sort_keys=False))
    env = {**chaos_env, "SLACK_HOOK": HOOK, "APP_TOKEN": TOKEN}
    proc = subprocess.run(
        [
            "chaos",
            "--no-version-check",
            "--log-file",
            str(tmp_path / "chaostoolkit.log"),
            "run",
            "--journal-path",
            str(tmp_path / "journal.json"),
            str(tmp_path / "e.yaml"),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = (tmp_path / "chaostoolkit.log").read_text()
    assert "nothing-secret" in log, "activity results are logged: the test tests something"
    assert HOOK not in log and "q8WvR2xTzN5kLm3P" not in log, proc.stderr[-2000:]
    assert HOOK not in proc.stdout + proc.stderr
