"""Crash-safe file writes: a reader sees the old file, no file, or the whole new one, never half."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from chaosguard.ledger.paths import ensure_dir

__all__ = ["atomic_write", "fsync_dir", "new_dir", "to_json"]


def to_json(document: Any) -> bytes:
    """``document`` as indented UTF-8 JSON (non-JSON values as text, as Chaos Toolkit does)."""
    return (json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def fsync_dir(path: Path) -> None:
    """Make a rename/creation in directory ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, overwrite: bool = True, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same directory, fsync, rename (or link).

    With ``overwrite=False`` an existing ``path`` raises :class:`FileExistsError` and is left
    untouched (the temp file is hard-linked into place, which fails atomically when the name is
    taken).
    """
    path = Path(path)
    ensure_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
    return path


def new_dir(root: Path, name: str, limit: int = 1000) -> Path:
    """Create ``root/name`` (or ``name-2``, ``name-3`` … when taken) exclusively, mode 0700, and
    return it."""
    ensure_dir(root)
    for i in range(1, limit + 1):
        candidate = root / (name if i == 1 else f"{name}-{i}")
        try:
            candidate.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(candidate, 0o700)
        fsync_dir(root)
        return candidate
    raise FileExistsError(f"{root / name}: {limit} run directories of that name already exist")
