"""Build and run guarded experiments through the real ``chaos`` CLI."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import ROOT

GUARD_CONTROL = {
    "name": "chaosguard",
    "provider": {"type": "python", "module": "chaosguard.safety.guard"},
}


def guard_control(module: str = "chaosguard.guard", **arguments: Any) -> dict:
    """The chaosguard control block naming ``module`` (``chaosguard.guard``, or the old
    ``chaosguard.safety.guard``), with optional control ``arguments``."""
    provider: dict[str, Any] = {"type": "python", "module": module}
    if arguments:
        provider["arguments"] = arguments
    return {"name": "chaosguard", "provider": provider}


def action(step: str, module: str, func: str, pauses: dict | None = None, **arguments: Any) -> dict:
    """A python action step."""
    out: dict[str, Any] = {
        "type": "action",
        "name": step,
        "provider": {"type": "python", "module": module, "func": func, "arguments": arguments},
    }
    if pauses:
        out["pauses"] = pauses
    return out


def probe(step: str, module: str, func: str, **arguments: Any) -> dict:
    """A python probe step."""
    return {
        "type": "probe",
        "name": step,
        "provider": {"type": "python", "module": module, "func": func, "arguments": arguments},
    }


#: A probe that costs nothing and always holds: ``os.path.exists("/")``.
ROOT_EXISTS = probe("root-exists", "os.path", "exists", path="/")


def python_guard(name: str = "value", **bounds: Any) -> dict:
    """A guard reading ``tests.guard_values.read_value``."""
    return {
        "name": name,
        "source": "python",
        "func": "tests.guard_values:read_value",
        **(bounds or {"max": 10}),
    }


def experiment(
    method: list[dict],
    guards: list[dict] | None = None,
    policy: dict | None = None,
    rollbacks: list[dict] | None = None,
    hypothesis: list[dict] | None = None,
    controls: list[dict] | None = None,
) -> dict:
    """An experiment document guarded by chaosguard (unless ``controls`` says otherwise)."""
    ext: dict[str, Any] = {
        "name": "chaosguard",
        "guards": guards if guards is not None else [python_guard()],
    }
    if policy is not None:
        ext["policy"] = policy
    doc: dict[str, Any] = {
        "title": "guarded test experiment",
        "description": "e2e",
        "method": method,
        "extensions": [ext],
        "controls": controls if controls is not None else [GUARD_CONTROL],
    }
    if rollbacks:
        doc["rollbacks"] = rollbacks
    if hypothesis:
        doc["steady-state-hypothesis"] = {"title": "hypothesis", "probes": hypothesis}
    return doc


@dataclass
class Result:
    """What a ``chaos run`` left behind."""

    rc: int
    journal: dict[str, Any]
    stderr: str

    @property
    def guard(self) -> dict[str, Any]:
        return self.journal.get("chaosguard") or {}


def chaos_run(
    tmp_path: Path,
    doc: dict,
    env: dict[str, str],
    *extra: str,
    policy: dict | None = None,
    settings: dict | None = None,
    timeout: float = 120,
) -> Result:
    """``chaos run`` the document in ``tmp_path``; return exit code, journal and stderr."""
    exp = tmp_path / "experiment.yaml"
    exp.write_text(yaml.safe_dump(doc, sort_keys=False))
    full_env = {**env, "PYTHONPATH": str(ROOT)}
    if policy is not None:
        (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
        full_env["CHAOSGUARD_POLICY"] = str(tmp_path / "policy.yaml")
    cmd = ["chaos", "--no-version-check", "--no-log-file"]
    if settings is not None:
        (tmp_path / "settings.yaml").write_text(yaml.safe_dump(settings))
        cmd += ["--settings", str(tmp_path / "settings.yaml")]
    journal = tmp_path / "journal.json"
    proc = subprocess.run(
        [*cmd, "run", "--journal-path", str(journal), *extra, str(exp)],
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    data = json.loads(journal.read_text()) if journal.exists() else {}
    return Result(proc.returncode, data, proc.stderr)


def set_value(env: dict[str, str], value: float | str) -> None:
    """Write what the python guard reads next."""
    Path(env["CG_TEST_VALUE_FILE"]).write_text(str(value))


def value_env(tmp_path: Path, env: dict[str, str], value: float = 1.0) -> dict[str, str]:
    """``env`` with a value file for the python guard, holding ``value``."""
    out = {**env, "CG_TEST_VALUE_FILE": str(tmp_path / "value.txt")}
    set_value(out, value)
    return out


def later(seconds: float, fn: Any, *args: Any) -> None:
    """Call ``fn(*args)`` after ``seconds`` on a daemon thread."""
    import threading

    timer = threading.Timer(seconds, fn, args)
    timer.daemon = True
    timer.start()


def environ() -> dict[str, str]:
    """A copy of the environment."""
    return dict(os.environ)
