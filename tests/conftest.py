"""Shared fixtures: every test gets its own chaosguard state directory (ledger, logs, sockets)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def chaosguard_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``CHAOSGUARD_HOME`` for the test; whatever it left open is reverted afterwards."""
    home = tmp_path / "cg-home"
    home.mkdir()
    monkeypatch.setenv("CHAOSGUARD_HOME", str(home))
    yield home
    from chaosguard.ledger import store as ledger

    run = ledger._current.pop(home.resolve(), None)
    if run is not None:
        from chaosguard.faults.cleanup import revert_run

        revert_run(run, run.state())
        run.release()


@pytest.fixture()
def chaos_env(chaosguard_home: Path) -> dict[str, str]:
    """Environment for a ``chaos`` subprocess: this venv first on PATH, our state dir."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["CHAOSGUARD_HOME"] = str(chaosguard_home)
    return env
