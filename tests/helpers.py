"""Small helpers shared by tests: real child processes, waiting without sleeping blindly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.02) -> bool:
    """Poll ``predicate`` until true or ``timeout``; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def default_sigint() -> None:
    """``preexec_fn`` of children a test interrupts with SIGINT: its default disposition, whatever
    the shell that started pytest handed down (a script's background job ignores SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def python_child(
    code: str, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.Popen[str]:
    """Start ``python -c code`` (dedented) with this interpreter, SIGINT at its default; stdout is
    a text pipe."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(ROOT)
    kwargs.setdefault("preexec_fn", default_sigint)
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
        **kwargs,
    )  # type: ignore[call-overload]


def ledger_records(home: Path) -> list[dict]:
    """Every record line (open) in every run file under ``home`` (archived ones included)."""
    import json

    out = []
    for path in sorted((home / "ledger").rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("op") == "open":
                out.append(entry["record"])
    return out


def live_fault_processes(home: Path) -> list[int]:
    """pids of worker processes still running for any record in the ledger under ``home``."""
    import psutil

    flags = {f"--chaosguard-record={r['id']}" for r in ledger_records(home)}
    out = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.info.get("status") != psutil.STATUS_ZOMBIE and flags & set(
            proc.info.get("cmdline") or []
        ):
            out.append(proc.pid)
    return out


#: What an operator policy must allow for the tests' own helpers (tests/guard_values.py): foreign
#: actions and python guards outside chaosguard are refused by default.
TEST_ALLOWS: dict[str, Any] = {
    "guard": {"python_modules": ["tests.guard_values"]},
    "actions": {"allow": ["tests.guard_values.wait", "tests.guard_values.fail"]},
}


def allowing_test_helpers(policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """``policy`` (a policy document) that also allows :data:`TEST_ALLOWS`."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in (policy or {}).items()}
    for key, value in TEST_ALLOWS.items():
        out[key] = {**value, **(out.get(key) or {})}
    return out
