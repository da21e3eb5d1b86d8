"""Helpers of the guard's security tests: a hostile python SLO source, victims, a long action."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import yaml


def read_or_exit() -> float:
    """The number in ``$CG_TEST_VALUE_FILE``; ``exit`` in it raises SystemExit, ``interrupt``
    raises KeyboardInterrupt (a hostile or broken python source)."""
    with open(os.environ["CG_TEST_VALUE_FILE"]) as fh:
        text = fh.read().strip()
    if text == "exit":
        raise SystemExit(3)
    if text == "interrupt":
        raise KeyboardInterrupt
    return float(text)


def slow(seconds: float = 8.0) -> float:
    """A long action that ends by itself (bounded)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.05)
    return seconds


#: What the operator's policies of these tests let through besides chaosguard's own.
TEST_ALLOWS: dict[str, Any] = {
    "guard": {"python_modules": ["tests.guard_values", "tests.security.guard_sources"]},
    "actions": {"allow": ["tests.security.guard_sources.slow", "tests.guard_values.wait"]},
}


def operator_policy(**extra: Any) -> dict[str, Any]:
    """A policy document allowing the test helpers, with ``extra`` top-level sections merged."""
    doc: dict[str, Any] = {k: dict(v) for k, v in TEST_ALLOWS.items()}
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return doc


def write_yaml(path: Path, doc: Any) -> str:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


@contextmanager
def victim() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A real sleeping process whose command line holds a unique ``cg-victim-<hex>`` tag."""
    tag = f"cg-victim-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time, sys; time.sleep(120)", tag],
    )
    try:
        time.sleep(0.2)
        yield proc, tag
    finally:
        proc.kill()
        proc.wait()


def stopped(proc: subprocess.Popen[bytes]) -> bool:
    """True when the process is (or was left) stopped by SIGSTOP."""
    try:
        return psutil.Process(proc.pid).status() == psutil.STATUS_STOPPED
    except psutil.NoSuchProcess:
        return False
