"""One guarded run per target scope: an flock'ed file per scope, taken over when its owner died.

The lock is an exclusive ``flock`` on ``<state>/locks/<digest>.lock`` (opened ``O_NOFOLLOW``, in a
checked 0700 directory); the kernel drops it when the owner dies, so a lock of a dead run is simply
taken (and the takeover is reported). The file names the owner (run id, pid, start time) so a
refusal can say who holds the scope. Kubernetes scopes, which runners on other machines may target
too, take Leases instead (:mod:`chaosguard.guard.lock`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import Any

from chaosguard.errors import Refused
from chaosguard.ledger.identity import is_alive, self_identity
from chaosguard.ledger.paths import checked_state_dir, private_dir

__all__ = ["ScopeLock", "acquire_scope"]


@dataclass
class ScopeLock:
    """A held scope lock; ``previous`` describes a dead owner it replaced, if any."""

    scope: str
    path: str
    fd: int
    previous: dict[str, Any] | None

    def lost(self) -> str | None:
        """Never lost: the kernel holds an flock as long as this process lives."""
        return None

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self.fd >= 0:
            try:
                os.ftruncate(self.fd, 0)
            finally:
                os.close(self.fd)
                self.fd = -1


def _read_owner(fd: int) -> dict[str, Any] | None:
    try:
        raw = os.pread(fd, 65536, 0)
        return json.loads(raw) if raw.strip() else None
    except (OSError, ValueError):
        return None


def acquire_scope(scope: str, run_id: str) -> ScopeLock:
    """Take the lock of ``scope`` for ``run_id`` or raise :class:`Refused` naming the holder."""
    directory = private_dir(checked_state_dir(), "locks")
    path = directory / (hashlib.sha256(scope.encode()).hexdigest()[:24] + ".lock")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise Refused(f"cannot open the scope lock {path} safely: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = _read_owner(fd) or {}
        os.close(fd)
        raise Refused(
            f"target scope '{scope}' is locked by guarded run {owner.get('run_id', '?')} "
            f"(pid {owner.get('pid', '?')}); wait for it to end"
        ) from None
    previous = _read_owner(fd)
    if previous and is_alive(int(previous.get("pid", 0)), previous.get("start_time")):
        previous = None  # same process re-entering (nothing to take over)
    pid, start = self_identity()
    owner = {
        "scope": scope,
        "run_id": run_id,
        "pid": pid,
        "start_time": start,
        "since": time.time(),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(owner).encode(), 0)
    return ScopeLock(scope, str(path), fd, previous)
