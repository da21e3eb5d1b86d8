"""Where chaosguard keeps its state (ledger, worker logs, control sockets)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "CHAOSGUARD_HOME"


def state_dir() -> Path:
    """The state directory: ``$CHAOSGUARD_HOME``, else ``$XDG_STATE_HOME/chaosguard``, else
    ``~/.local/state/chaosguard``."""
    if os.environ.get(ENV_HOME):
        return Path(os.environ[ENV_HOME]).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "chaosguard"


def ensure_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) if needed and return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
