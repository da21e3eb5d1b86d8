"""Private output files: every file a publisher, a report or a game day writes is 0600, in a
directory it creates 0700 (journals and reports hold what a run saw; redacted, still not for
every local user).

Directories that already exist (a shared ``runs`` root, the working directory) are left as they
are; the run directories inside them are always created private.
"""

from __future__ import annotations

import os
from pathlib import Path

from chaosguard.ledger.files import atomic_write, new_dir

__all__ = ["FILE_MODE", "DIR_MODE", "private_dir", "private_new_dir", "private_write"]

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) 0700; an existing directory is left as it is."""
    path = Path(path)
    missing: list[Path] = []
    for parent in [path, *path.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for item in reversed(missing):
        try:
            item.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(item, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_new_dir(root: Path, name: str) -> Path:
    """A new ``root/name[-N]`` (:func:`chaosguard.ledger.files.new_dir`), 0700."""
    private_dir(Path(root))
    made = new_dir(Path(root), name)
    os.chmod(made, DIR_MODE)
    return made


def private_write(path: Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically, mode 0600 (missing parent dirs are created 0700)."""
    private_dir(Path(path).parent)
    return atomic_write(Path(path), data, overwrite=overwrite, mode=FILE_MODE)
