"""The connection cap of a latency proxy, counted across all of its processes.

A proxy of one process counts its own connections (:class:`LocalCap`). A proxy of several processes
(:mod:`._family`) shares one count per process in shared memory, guarded by one process-shared lock
(:class:`SharedCap`), so ``max_connections`` bounds the connections of the whole proxy exactly,
whichever process the kernel hands a new connection to.

Fail closed: a process that cannot take the lock within :data:`LOCK_TIMEOUT_S` (a sibling killed
while holding it) refuses the new connection rather than risk going over the cap.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["LOCK_TIMEOUT_S", "Cap", "LocalCap", "SharedCap"]

#: How long a process waits for the shared count before refusing a connection.
LOCK_TIMEOUT_S = 0.05


class Cap(Protocol):
    """What :class:`~._proxy.LatencyProxy` asks of its cap."""

    limit: int

    def admit(self) -> bool:
        """Count one more connection if the cap allows it; whether it did."""

    def leave(self) -> None:
        """One admitted connection ended."""

    def first_refusal(self) -> bool:
        """After a refusal: whether it starts a burst (no connection admitted since the last)."""


class LocalCap:
    """The cap of a proxy of one process."""

    __slots__ = ("_refusing", "limit", "open")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self._refusing = False

    def admit(self) -> bool:
        """Count one more connection unless ``limit`` are open."""
        if self.open >= self.limit:
            return False
        self.open += 1
        self._refusing = False
        return True

    def leave(self) -> None:
        """One connection ended."""
        self.open = max(0, self.open - 1)

    def first_refusal(self) -> bool:
        """Whether this refusal starts a burst."""
        first, self._refusing = not self._refusing, True
        return first


class SharedCap:
    """The cap of a proxy of ``processes`` processes; build it before forking them.

    Each process sets :attr:`slot` to its own index after the fork; it only ever changes its own
    count, and reads all of them under the lock. One more shared cell says whether the proxy is in
    a burst of refusals (so a burst is logged once, whichever processes refuse it).
    """

    __slots__ = ("_counts", "_lock", "_processes", "limit", "slot")

    def __init__(self, limit: int, processes: int) -> None:
        import multiprocessing  # only for a proxy of several processes

        ctx = multiprocessing.get_context("fork")
        self.limit = limit
        self.slot = 0
        self._processes = processes
        self._counts: Any = ctx.RawArray("i", processes + 1)  # the last cell: refusing
        self._lock: Any = ctx.Lock()

    def admit(self) -> bool:
        """Count one more connection unless ``limit`` are open in all processes together."""
        if not self._lock.acquire(timeout=LOCK_TIMEOUT_S):
            return False
        try:
            if self.total() >= self.limit:
                return False
            self._counts[self.slot] += 1
            self._counts[self._processes] = 0
            return True
        finally:
            self._lock.release()

    def first_refusal(self) -> bool:
        """Whether this refusal starts a burst (the first refusal of any process since the last
        connection any process admitted)."""
        locked = self._lock.acquire(timeout=LOCK_TIMEOUT_S)
        try:
            first = not self._counts[self._processes]
            self._counts[self._processes] = 1
            return bool(first)
        finally:
            if locked:
                self._lock.release()

    def leave(self) -> None:
        """One connection of this process ended."""
        self._add(self.slot, -1)

    def clear(self, slot: int) -> None:
        """Process ``slot`` is gone: its connections with it."""
        self._add(slot, None)

    def total(self) -> int:
        """Connections open in all processes."""
        return int(sum(self._counts[: self._processes]))

    def _add(self, slot: int, delta: int | None) -> None:
        # a leave must not be lost (the cap would shrink for good): wait for the lock as long
        # as it takes a live holder, then correct without it rather than not at all
        locked = self._lock.acquire(timeout=1.0)
        try:
            value = self._counts[slot]
            self._counts[slot] = 0 if delta is None else max(0, value + delta)
        finally:
            if locked:
                self._lock.release()
