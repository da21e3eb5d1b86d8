"""Directory archive: ``<root>/<UTC start>-<slug>/journal.json``, the copy on disk nothing later
can lose.

The run directory is created exclusively (``-2``, ``-3`` … when the name is taken: never reused,
never overwritten) with mode 0700; the journal is written 0600 to a temp file, fsynced and linked
into place, so a crash at any moment leaves either no ``journal.json`` or a complete one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chaosguard.journal.config import DirectoryPublisher
from chaosguard.journal.files import private_new_dir, private_write
from chaosguard.journal.publishers import PublishContext
from chaosguard.ledger.files import to_json

__all__ = ["publish", "archive"]


def archive(journal: dict[str, Any], root: Path, name: str) -> Path:
    """Write ``journal`` to a new ``root/name[-N]/journal.json``; return the file's path."""
    run_dir = private_new_dir(Path(root).expanduser(), name)
    return private_write(run_dir / "journal.json", to_json(journal), overwrite=False)


def publish(spec: DirectoryPublisher, ctx: PublishContext) -> str:
    """Archive ``ctx.journal`` under ``spec.root``; the first successful archive becomes
    ``ctx.run_dir``."""
    path = archive(ctx.journal, spec.root, f"{ctx.timestamp}-{ctx.facts.slug}")
    if ctx.run_dir is None:
        ctx.run_dir = path.parent
    return str(path)
