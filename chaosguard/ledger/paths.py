"""Where chaosguard keeps its state (ledger, worker logs, control sockets), and who may touch it.

Everything under the state directory steers what ``chaos cleanup`` does, so the directory must be
ours alone: :func:`checked_state_dir` refuses one that another user owns or that group or others can
write, and :func:`private_dir` refuses a subdirectory that is a symbolic link. Every directory
chaosguard creates is mode 0700 (:func:`ensure_dir`), parents included.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from chaosguard.errors import Refused

__all__ = [
    "ENV_HOME",
    "checked_state_dir",
    "ensure_dir",
    "inside",
    "private_dir",
    "state_dir",
]

ENV_HOME = "CHAOSGUARD_HOME"


def state_dir() -> Path:
    """The state directory: ``$CHAOSGUARD_HOME``, else ``$XDG_STATE_HOME/chaosguard``, else
    ``~/.local/state/chaosguard``."""
    if os.environ.get(ENV_HOME):
        return Path(os.environ[ENV_HOME]).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "chaosguard"


def ensure_dir(path: Path) -> Path:
    """Create ``path`` and every missing parent with mode 0700 (if needed); return it."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not os.path.lexists(p)]
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            continue
        except OSError as exc:  # name the directory asked for, as Path.mkdir(parents=True) does
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        os.chmod(directory, 0o700)  # whatever the umask says
    if not path.is_dir():  # as Path.mkdir(exist_ok=True) says it
        raise FileExistsError(errno.EEXIST, "File exists", str(path))
    return path


def _check_owned(path: Path, info: os.stat_result, what: str) -> None:
    if info.st_uid != os.geteuid():
        raise Refused(
            f"{what} {path} belongs to uid {info.st_uid}, not to us (uid {os.geteuid()}); "
            "refusing to use it"
        )
    if info.st_mode & 0o022:
        raise Refused(
            f"{what} {path} is writable by group or others (mode {stat.S_IMODE(info.st_mode):o}); "
            f"refusing to use it (chmod go-w {path})"
        )


def checked_state_dir(root: Path | None = None) -> Path:
    """``root`` (default :func:`state_dir`), created 0700 if missing; :class:`Refused` when it is
    not a directory we own, or group or others can write it."""
    root = Path(root) if root is not None else state_dir()
    ensure_dir(root)
    _check_owned(root, os.stat(root), "state directory")
    return root


def private_dir(parent: Path, name: str) -> Path:
    """``parent/name`` created 0700 if missing; :class:`Refused` when it is a symbolic link, not a
    directory, not ours, or writable by group or others."""
    path = Path(parent) / name
    try:
        os.mkdir(path, 0o700)
        os.chmod(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise Refused(f"{path} is not a directory (a symbolic link?); refusing to use it")
    _check_owned(path, info, "directory")
    return path


def inside(path: str | Path, directory: Path) -> Path | None:
    """``path`` if it names an entry directly in ``directory`` (both resolved, the entry itself
    not followed), else ``None``. A path with ``..`` never qualifies."""
    candidate = Path(path)
    if ".." in candidate.parts or not candidate.name:
        return None
    candidate = Path(os.path.abspath(candidate))
    try:
        real_parent = Path(os.path.realpath(candidate.parent))
        real_dir = Path(os.path.realpath(directory))
    except (OSError, ValueError):
        return None
    if real_parent != real_dir:
        return None
    return real_dir / candidate.name
