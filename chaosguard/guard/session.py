"""One guarded run: configuration, preflight, watching, abort, and what the journal needs after.

The control hooks in :mod:`chaosguard.guard.control` only forward to the process's
:class:`GuardSession`. Abort order on breach (from the watcher thread): revert every open fault of
this run, *then* interrupt the experiment (SIGUSR1: Chaos Toolkit cuts the running activity short),
so the faults are gone even if the main thread is stuck in a blocking call.

The session's :class:`Phase` only moves along :data:`TRANSITIONS`, through
:meth:`GuardSession.enter` (and :meth:`GuardSession.reached` for the experiment's sections); nothing
else writes it::

    configured ─▶ preflight ─▶ watching ─▶ method ─▶ rollbacks
        │             │           │          │          │
        └─────────────┴───────────┴──────────┴──────────┴─▶ ended ─▶ finished
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chaosguard import faults
from chaosguard.errors import ChaosGuardError, Refused
from chaosguard.guard.document import substituted, with_control_guards
from chaosguard.guard.killswitch import KILL_SWITCH, kill_switch_check, kill_switch_configured
from chaosguard.guard.watcher import Watcher
from chaosguard.ledger.lock import ScopeLock, acquire_scope
from chaosguard.policy import (
    Policy,
    check_activity,
    error_budget_check,
    load_guards,
    load_policy,
    preflight_policy,
)
from chaosguard.policy.active import set_active_policy
from chaosguard.slo.build import build_source
from chaosguard.slo.check import Reading, SloCheck
from chaosguard.slo.spec import GuardBase, GuardSpec

__all__ = ["TRANSITIONS", "Breach", "GuardSession", "Phase"]

logger = logging.getLogger("chaostoolkit")


class Phase(StrEnum):
    """Where a guarded run is (its value is what logs print)."""

    CONFIGURED = "configured"  # policy and guards loaded (or their errors kept)
    PREFLIGHT = "preflight"  # before the experiment: checking whether it may start
    WATCHING = "watching"  # the watcher runs; steady-state hypothesis before the method
    METHOD = "method"  # the method's activities run
    ROLLBACKS = "rollbacks"  # the rollbacks run: a breach reverts faults but interrupts nothing
    ENDED = "ended"  # watching stopped, leftovers reverted, the scope lock released
    FINISHED = "finished"  # the after-experiment duties are done (evidence, status, publishing)

    @property
    def watched(self) -> bool:
        """The watcher runs (readings are shown live)."""
        return self in (Phase.WATCHING, Phase.METHOD, Phase.ROLLBACKS)

    @property
    def interruptible(self) -> bool:
        """A breach interrupts the experiment (not during the rollbacks, not after the end)."""
        return self in (Phase.WATCHING, Phase.METHOD)


#: The phases each phase may move to (staying in the same phase is always allowed: a no-op).
TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    Phase.CONFIGURED: frozenset({Phase.PREFLIGHT, Phase.ENDED}),
    Phase.PREFLIGHT: frozenset({Phase.WATCHING, Phase.ENDED}),
    Phase.WATCHING: frozenset({Phase.METHOD, Phase.ROLLBACKS, Phase.ENDED}),
    Phase.METHOD: frozenset({Phase.ROLLBACKS, Phase.ENDED}),
    Phase.ROLLBACKS: frozenset({Phase.ENDED}),
    Phase.ENDED: frozenset({Phase.FINISHED}),
    Phase.FINISHED: frozenset(),
}


@dataclass
class Breach:
    """What stopped the run, with the times that bound the abort latency."""

    guard: str
    value: float | None
    threshold: str
    reason: str
    observed_at: float
    source_at: float | None = None
    faults_reverted_at: float | None = None
    abort_issued_at: float | None = None
    reverted: list[dict[str, Any]] = field(default_factory=list)
    revert_errors: list[str] = field(default_factory=list)


class GuardSession:
    """State of the guard for one experiment run in this process."""

    def __init__(self) -> None:
        self.config_errors: list[str] = []
        self.control_args: dict[str, Any] = {}
        self.policy: Policy | None = None
        self.guard_specs: list[GuardSpec] = []
        self.checks: list[SloCheck] = []
        self.watcher: Watcher | None = None
        self.lock: ScopeLock | None = None
        self.refused: str | None = None
        self.breach: Breach | None = None
        self.preflight_readings: list[Reading] = []
        self.started_at = time.time()
        self.run_id = ""
        self.live = False
        self._phase = Phase.CONFIGURED
        self._phase_lock = threading.Lock()
        self._abort_lock = threading.Lock()

    # -- phases -----------------------------------------------------------------------------------
    @property
    def phase(self) -> Phase:
        """Where the run is; moved only by :meth:`enter` (and :meth:`reached`)."""
        return self._phase

    def enter(self, phase: Phase) -> bool:
        """Move to ``phase`` when :data:`TRANSITIONS` allows it; True when the session is there.

        An illegal move is refused and logged as an error, never raised: this runs inside Chaos
        Toolkit hooks, which must raise nothing but ``InterruptExecution``.
        """
        with self._phase_lock:
            current = self._phase
            if phase is current:
                return True
            if phase not in TRANSITIONS[current]:
                logger.error(
                    "chaosguard: illegal phase change %s -> %s refused (a bug: please report it)",
                    current,
                    phase,
                )
                return False
            self._phase = phase
            return True

    def reached(self, section: str) -> None:
        """An activity of the experiment's ``section`` (``hypothesis``, ``method``, ``rollbacks``,
        ``unknown``) is about to run: follow the run into its method, then into its rollbacks.

        Only a watched run moves: a hypothesis probe, a refused run or the rollbacks the guard plays
        after the end leave the phase as it is.
        """
        if section == "method" and self.phase is Phase.WATCHING:
            self.enter(Phase.METHOD)
        elif section == "rollbacks" and self.phase.interruptible:
            self.enter(Phase.ROLLBACKS)  # a breach now reverts faults but never interrupts them

    # -- configuration ----------------------------------------------------------------------------
    def configure(
        self,
        experiment: dict[str, Any],
        args: dict[str, Any],
        configuration: dict[str, Any] | None = None,
        secrets: dict[str, Any] | None = None,
    ) -> None:
        """Load policy and guards; never raises (a control that raises would silently be dropped).

        ``${...}`` values in the chaosguard extension are substituted from the experiment's
        configuration and secrets, like activity arguments.
        """
        guards = list(self.control_args.get("guards") or [])
        names = {g.get("name") for g in guards if isinstance(g, dict)}
        guards += [
            g
            for g in args.get("guards") or []
            if not (isinstance(g, dict) and g.get("name") in names)
        ]
        # the first registration's arguments win...
        self.control_args = {**args, **self.control_args}
        if guards:
            self.control_args["guards"] = guards  # ...but no registration's guards are dropped
        self.live = bool(self.control_args.get("live", False))
        try:
            doc = substituted(
                with_control_guards(experiment, self.control_args.get("guards")),
                configuration or {},
                secrets or {},
            )
            self.policy = load_policy(self.control_args.get("policy_file") or None, doc)
            set_active_policy(self.policy)  # actions of this run obey the merged policy
            self.guard_specs = load_guards(doc)
        except Exception as exc:
            self.config_errors.append(
                str(exc) if isinstance(exc, ChaosGuardError) else f"{type(exc).__name__}: {exc}"
            )

    @property
    def interval_s(self) -> float:
        """Seconds between two reads of every guard."""
        return float(self.policy.guard.interval_s) if self.policy is not None else 1.0

    # -- preflight ------------------------------------------------------------------------------
    def preflight(self, scope: str) -> None:
        """Refuse (``Refused``) unless everything allows the run; then start watching."""
        self.enter(Phase.PREFLIGHT)
        # starting the run reverts dead runs' leftovers first
        self.run_id = faults.run_ledger().run_id
        if self.config_errors:
            raise Refused(f"guard configuration is invalid: {self.config_errors[0]}")
        policy = self._policy()
        reasons = preflight_policy(policy, self.guard_specs, time.time())
        if reasons:
            raise Refused(reasons[0])
        self.lock = acquire_scope(scope, self.run_id)
        if self.lock.previous:
            logger.warning(
                "chaosguard: took over the scope lock of dead run %s",
                self.lock.previous.get("run_id"),
            )
        fail_closed = policy.guard.on_unreadable != "ignore"
        self.checks = [SloCheck(spec, build_source(spec), fail_closed) for spec in self.guard_specs]
        if kill_switch_configured(policy):
            self.checks.append(kill_switch_check(policy))
        self._start_sources()
        self.watcher = Watcher(self.checks, self.interval_s, self._on_breach, self._on_reading)
        self.preflight_readings = self._first_readings()
        bad = [r for r in self.preflight_readings if r.violating]
        if bad:
            r = bad[0]
            what = f"unreadable ({r.error})" if r.value is None else f"{r.value:g}"
            raise Refused(
                f"SLO '{r.guard}' is already breached before any fault: {what}, objective "
                f"{self._spec(r.guard).threshold()}"
            )
        self._check_budget(policy)
        self.enter(Phase.WATCHING)
        for reading in self.preflight_readings:
            self._on_reading(reading)
        self.watcher.start()

    def _policy(self) -> Policy:
        """The merged policy; refuse (fail closed) when none was loaded (the control never
        configured)."""
        if self.policy is None:
            raise Refused("guard configuration is invalid: no policy was loaded")
        return self.policy

    def _start_sources(self) -> None:
        for check in self.checks:
            check.source.start()

    def _first_readings(self) -> list[Reading]:
        """Read every guard until each has a value (HTTP windows need a moment), bounded to 10 s."""
        assert self.watcher is not None
        deadline = time.monotonic() + 10.0
        while True:
            readings = self.watcher.tick()
            pending = [
                r for r in readings if r.value is None and "no completed request" in (r.error or "")
            ]
            if not pending or time.monotonic() > deadline:
                return readings
            time.sleep(0.1)

    def _check_budget(self, policy: Policy) -> None:
        """Refuse when the error budget left is under the policy floor (no reading: fail closed)."""
        budget = [
            r
            for r in self.preflight_readings
            if r.guard != KILL_SWITCH and self._spec(r.guard).role == "error-budget"
        ]
        reasons = [error_budget_check(policy, r.value, r.guard) for r in budget] or [
            error_budget_check(policy, None)
        ]
        reason = next((r for r in reasons if r), None)
        if reason:
            raise Refused(reason)

    def _spec(self, name: str) -> GuardBase:
        """The spec of the guard named ``name`` (the kill switch's included)."""
        return next(c.spec for c in self.checks if c.name == name)

    # -- watching ---------------------------------------------------------------------------------
    def _on_reading(self, reading: Reading) -> None:
        if self.live and self.phase.watched:
            from chaosguard.guard.live import show_reading

            show_reading(
                reading, self._spec(reading.guard) if reading.guard != KILL_SWITCH else None
            )

    def _on_breach(self, readings: list[Reading]) -> None:
        """Watcher thread: revert every open fault of this run, then interrupt the experiment."""
        breached = [r for r in readings if r.breached]
        first = breached[0] if breached else None
        with self._abort_lock:
            if self.breach is not None:
                return
            self.breach = Breach(
                guard=first.guard if first else "watcher",
                value=first.value if first else None,
                threshold=self._spec(first.guard).threshold()
                if first and first.guard != KILL_SWITCH
                else "off",
                reason=(first.error or "objective violated")
                if first
                else "the watcher itself failed",
                observed_at=first.read_at if first else time.time(),
                source_at=first.source_at if first else None,
            )
        self.breach.reverted, self.breach.revert_errors = revert_open_faults()
        self.breach.faults_reverted_at = time.time()
        logger.critical(
            "chaosguard: guard '%s' breached (%s, objective %s): faults reverted, aborting",
            self.breach.guard,
            _fmt(self.breach.value),
            self.breach.threshold,
        )
        if self.phase.interruptible and signal.getsignal(signal.SIGUSR1) not in (
            signal.SIG_DFL,
            signal.SIG_IGN,
            None,
        ):
            self.breach.abort_issued_at = time.time()
            os.kill(os.getpid(), signal.SIGUSR1)  # Chaos Toolkit: interrupt now, gracefully

    # -- per action -------------------------------------------------------------------------------
    def before_action(
        self,
        activity: dict[str, Any],
        configuration: dict[str, Any] | None,
        secrets: dict[str, Any] | None,
    ) -> None:
        """Refuse an action after an abort, or when its targets break the policy's blast radius."""
        if self.breach is not None:
            raise Refused(f"guard '{self.breach.guard}' aborted this run; no further action runs")
        check_activity(self._policy(), activity, configuration, secrets)

    # -- the end ---------------------------------------------------------------------------------
    def stop(self) -> list[dict[str, Any]]:
        """Stop watching, revert leftovers of this run, release the lock; return what was reverted.

        Safe to call again (a breach's aftermath stops twice: rollbacks may have injected faults).
        """
        self.enter(Phase.ENDED)
        if self.watcher is not None:
            self.watcher.stop()
        for check in self.checks:
            try:
                check.source.stop()
            except Exception:  # one source that cannot stop must not keep the faults or the lock
                logger.exception("chaosguard: stopping the source of guard '%s' failed", check.name)
        leftovers: list[dict[str, Any]] = []
        if self.run_id:
            leftovers, _ = revert_open_faults()
        if self.lock is not None:
            self.lock.release()
        return leftovers


def revert_open_faults() -> tuple[list[dict[str, Any]], list[str]]:
    """Revert every open record of this run; return (closed records, error messages)."""
    done: list[dict[str, Any]] = []
    errors: list[str] = []
    for record in faults.open_records():
        try:
            closed = faults.revert(record)
            done.append(
                {
                    "record": closed.id,
                    "kind": closed.kind,
                    "outcome": closed.outcome,
                    "at": closed.closed_at,
                }
            )
        except Exception as exc:
            errors.append(f"{record.kind} {record.id}: {exc}")
    return done, errors


def _fmt(value: float | None) -> str:
    return "unreadable" if value is None else f"{value:g}"
