"""The scope lock of a guarded run: a local flock for the machine, Leases for namespaces.

:func:`acquire_run_lock` is what preflight takes before the first action. A scope (see
:mod:`chaosguard.guard.scope`) ``host:<name>`` is the machine: the flock of
:mod:`chaosguard.ledger.lock`. A scope ``k8s:<ns>,<ns>...`` is a set of namespaces that runners on
other machines (an SRE's laptop, the game day's CronJob) may target too: one
``coordination.k8s.io/v1`` Lease per namespace (:mod:`chaosguard.kube.lease`), taken in name order
(all or none), renewed by a daemon thread every third of the lease duration, deleted at the end.

Renewal failure: the Lease may expire and another runner may take it, so the run may no longer be
exclusive. After two renewals in a row fail (two thirds of the duration: before the Lease can have
expired), or at once when the Lease names someone else, :meth:`LeaseLock.lost` returns the reason
(and ``on_lost``, when set, is called once from the renewal thread); the session checks it before
each action. A local :class:`~chaosguard.ledger.lock.ScopeLock` is never lost while its process
lives.

The lease duration is :data:`DEFAULT_LEASE_S` seconds unless ``$CHAOSGUARD_LEASE_SECONDS`` says
otherwise (5 to 3600; tests use a few seconds so a SIGKILLed holder's Lease expires quickly).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from chaosguard.errors import InvalidArgument, Refused
from chaosguard.kube.names import is_dns_label
from chaosguard.ledger.lock import ScopeLock, acquire_scope

__all__ = ["DEFAULT_LEASE_S", "LeaseLock", "RunLock", "acquire_run_lock", "lease_seconds"]

logger = logging.getLogger("chaostoolkit")

DEFAULT_LEASE_S = 30
ENV_LEASE = "CHAOSGUARD_LEASE_SECONDS"


class RunLock(Protocol):
    """What preflight holds: the scope, a dead holder taken over, release, and a lost check."""

    scope: str
    previous: dict[str, Any] | None

    def release(self) -> None:
        """Release the lock (idempotent)."""

    def lost(self) -> str | None:
        """Why the run may no longer be exclusive (``None`` while it is)."""


def lease_seconds() -> int:
    """The lease duration: ``$CHAOSGUARD_LEASE_SECONDS`` (5..3600), default 30."""
    raw = os.environ.get(ENV_LEASE, "").strip()
    if not raw:
        return DEFAULT_LEASE_S
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 5 <= value <= 3600:
        raise InvalidArgument(ENV_LEASE, f"expected whole seconds from 5 to 3600 (got {raw!r})")
    return value


def namespaces_of(scope: str) -> list[str]:
    """The namespaces of a ``k8s:`` scope, sorted; InvalidArgument for a name that is not one."""
    names = sorted({n.strip() for n in scope.removeprefix("k8s:").split(",") if n.strip()})
    for name in names:
        if not is_dns_label(name):
            raise InvalidArgument("scope", f"{name!r} is not a namespace name (in {scope!r})")
    if not names:
        raise InvalidArgument("scope", f"{scope!r} names no namespace")
    return names


class LeaseLock:
    """Leases held in every namespace of a ``k8s:`` scope, renewed until :meth:`release`."""

    def __init__(
        self, scope: str, run_id: str, api: Any, namespaces: list[str], duration_s: int
    ) -> None:
        self.scope = scope
        self.run_id = run_id
        self.namespaces = namespaces
        self.duration_s = duration_s
        self.previous: dict[str, Any] | None = None
        #: called once (from the renewal thread) with the reason when the run stops being exclusive
        self.on_lost: Callable[[str], None] | None = None
        self._api = api
        self._held: list[str] = []
        self._lost: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def lost(self) -> str | None:
        """Why the run may no longer be exclusive (``None`` while every Lease is renewed)."""
        return self._lost

    def acquire(self) -> LeaseLock:
        """Take every Lease (all or none) and start renewing them."""
        from chaosguard.kube.lease import release, take

        taken_over: list[dict[str, Any]] = []
        try:
            for ns in self.namespaces:
                holder = take(self._api, ns, self.run_id, os.getpid(), self.duration_s, time.time())
                self._held.append(ns)
                if holder is not None:
                    taken_over.append(holder.as_dict())
        except BaseException:
            for ns in self._held:
                try:
                    release(self._api, ns, self.run_id)
                except Exception:
                    logger.warning("chaosguard: could not release the Lease of %s", ns)
            self._held.clear()
            raise
        if taken_over:
            self.previous = {"run_id": taken_over[0]["run_id"], "leases": taken_over}
        self._thread = threading.Thread(
            target=self._renew_loop, name="chaosguard-lease", daemon=True
        )
        self._thread.start()
        return self

    def _renew_loop(self) -> None:
        from chaosguard.kube.lease import LOST, renew

        failures = 0
        while not self._stop.wait(self.duration_s / 3):
            try:
                for ns in self._held:
                    renew(self._api, ns, self.run_id, time.time())
                failures = 0
            except Exception as exc:  # a 403, an unreachable server: try once more in time
                if getattr(exc, "reason", None) == LOST:
                    self._mark_lost(str(exc))
                    return
                failures += 1
                logger.warning("chaosguard: renewing the scope Lease failed: %s", exc)
                if failures >= 2:
                    self._mark_lost(f"the scope Lease could not be renewed: {exc}")
                    return

    def _mark_lost(self, reason: str) -> None:
        self._lost = f"scope {self.scope} may no longer be exclusive: {reason}"
        logger.error("chaosguard: %s", self._lost)
        if self.on_lost is not None:
            try:
                self.on_lost(self._lost)
            except Exception:
                logger.exception("chaosguard: the lost-lease callback failed")

    def release(self) -> None:
        """Stop renewing and delete our Leases (idempotent; never another holder's)."""
        from chaosguard.kube.lease import release

        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.duration_s)
        held, self._held = self._held, []
        for ns in held:
            try:
                release(self._api, ns, self.run_id)
            except Exception as exc:  # it expires on its own after duration_s
                logger.warning("chaosguard: could not release the Lease of %s: %s", ns, exc)


def acquire_run_lock(
    scope: str,
    run_id: str,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> ScopeLock | LeaseLock:
    """Take the lock of ``scope`` for ``run_id`` or raise :class:`Refused` naming the holder.

    ``k8s:`` scopes take a Lease in each namespace of the cluster the run's configuration and
    secrets name (as its activities resolve it); other scopes the local flock.
    """
    if not scope.startswith("k8s:"):
        return acquire_scope(scope, run_id)
    from chaosguard.kube.api import Api
    from chaosguard.kube.config import resolve_cluster

    namespaces = namespaces_of(scope)
    duration = lease_seconds()
    try:
        api = Api(resolve_cluster(configuration, secrets))
    except InvalidArgument as exc:
        raise Refused(f"cannot take the scope Lease of {scope}: {exc}") from None
    return LeaseLock(scope, run_id, api, namespaces, duration).acquire()
