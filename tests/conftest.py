"""Shared fixtures: every test gets its own chaosguard state directory (ledger, logs, sockets)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# `make test` (and so CI) runs the "ci" profile: derandomized, the same examples on every run, so a
# result never depends on the seed. `make fuzz` runs "fuzz": random and long. Without a profile,
# hypothesis' defaults apply (random, 100 examples).
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("fuzz", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

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
