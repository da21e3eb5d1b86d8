"""One guarded run: configuration, preflight, watching, abort, and what the journal needs after.

The control hooks in :mod:`chaosguard.guard.control` only forward to the process's
:class:`GuardSession`. Abort order on breach (from the watcher thread): revert every open fault of
this run, *then* interrupt the experiment (SIGUSR1: Chaos Toolkit cuts the running activity short),
so the faults are gone even if the main thread is stuck in a blocking call.

The session's :class:`Phase` only moves along :data:`TRANSITIONS`, through
:meth:`GuardSession.enter` (and :meth:`GuardSession.reached` for the experiment's sections); nothing
else writes it::

    configured ─▶ preflight ─┬────────────────▶ watching ─▶ method ─▶ rollbacks
        │             │      └─▶ baseline ─┘  │          │          │
        └─────────────┴───────────┴───────────┴──────────┴──────────┴─▶ ended ─▶ finished

``baseline`` (only with anomaly guards): before the steady-state hypothesis, the guards are read
at the guard interval until every anomaly guard has learned ``baseline_readings`` readable
readings (or, for Prometheus with ``baseline_range_s``, from one range query); too few, an
unreadable or non-finite reading, or any guard violated meanwhile refuses the run (fail closed).
What each guard learned is in :attr:`GuardSession.baselines`.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chaosguard import faults
from chaosguard.errors import ChaosGuardError, Refused
from chaosguard.guard.baseline import learn_baselines
from chaosguard.guard.breach import Breach, lock_lost, new_breach, revert_open_faults
from chaosguard.guard.calendar import CALENDAR, calendar_check, calendar_watched
from chaosguard.guard.document import substituted, with_control_guards
from chaosguard.guard.killswitch import KILL_SWITCH, kill_switch_check, kill_switch_configured
from chaosguard.guard.lock import LeaseLock, RunLock, acquire_run_lock
from chaosguard.guard.phases import TRANSITIONS, Phase
from chaosguard.guard.watcher import Watcher
from chaosguard.guard.wiring import operator_policy_file, run_policy
from chaosguard.policy import (
    check_activity,
    check_python_guard,
    error_budget_check,
    load_guards,
    preflight_policy,
)
from chaosguard.policy.active import set_active_policy
from chaosguard.policy.experiment import check_experiment
from chaosguard.slo.build import build_detector, build_source
from chaosguard.slo.check import Reading, SloCheck
from chaosguard.telemetry import emit
from chaosguard.telemetry import enabled as telemetry_enabled

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy
    from chaosguard.slo.spec import GuardBase, GuardSpec

__all__ = ["POLICY_GUARDS", "TRANSITIONS", "Breach", "GuardSession", "Phase"]

#: Guards the policy adds (no SLO spec of the experiment behind them).
POLICY_GUARDS = frozenset({KILL_SWITCH, CALENDAR})

logger = logging.getLogger("chaostoolkit")


class GuardSession:
    """State of the guard for one experiment run in this process."""

    def __init__(self) -> None:
        self.config_errors: list[str] = []
        self.control_args: dict[str, Any] = {}
        self.experiment: dict[str, Any] = {}
        #: The operator's policy file, from the global wiring (None: ``$CHAOSGUARD_POLICY``).
        self.operator_policy_file: str | None = None
        self.policy: Policy | None = None
        self.guard_specs: list[GuardSpec] = []
        self.checks: list[SloCheck] = []
        self.watcher: Watcher | None = None
        self.lock: RunLock | None = None
        self.refused: str | None = None
        self.breach: Breach | None = None
        self.preflight_readings: list[Reading] = []
        #: What each anomaly guard learned (``Baseline.as_dict()`` plus ``learned_from``,
        #: ``started_at``, ``ended_at``), by guard name; filled in the ``baseline`` phase.
        self.baselines: dict[str, dict[str, Any]] = {}
        #: When the method's first action was allowed to run (epoch s); None before it.
        self.first_action_at: float | None = None
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
        emit("phase", phase=phase.value)
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
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Load policy and guards; never raises (a control that raises would silently be dropped).

        ``settings`` is given only when Chaos Toolkit configures the *global* registration
        (settings file or ``--control-file``): its ``policy_file`` is the operator's. The
        experiment's own control arguments and extension block only make that policy stricter
        (:func:`~chaosguard.guard.wiring.run_policy`). ``${...}`` values in the chaosguard
        extension are substituted from the experiment's configuration and secrets, like activity
        arguments.
        """
        if settings is not None and self.operator_policy_file is None:
            own = args.get("policy_file")
            self.operator_policy_file = (
                own if isinstance(own, str) and own else operator_policy_file(settings)
            )
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
        self.experiment = experiment
        self.config_errors = []
        try:
            doc = substituted(
                with_control_guards(experiment, self.control_args.get("guards")),
                configuration or {},
                secrets or {},
            )
            self.policy = run_policy(self.operator_policy_file, doc)
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
    def preflight(
        self,
        scope: str,
        configuration: dict[str, Any] | None = None,
        secrets: dict[str, Any] | None = None,
    ) -> None:
        """Refuse (``Refused``) unless everything allows the run; then start watching.

        ``configuration`` and ``secrets`` resolve ``${...}`` in the scope's namespaces (the
        Kubernetes Lease of each target namespace is taken here).
        """
        # starting the run reverts dead runs' leftovers first
        self.run_id = faults.run_ledger().run_id
        self._announce(scope)
        self.enter(Phase.PREFLIGHT)
        if self.config_errors:
            raise Refused(f"guard configuration is invalid: {self.config_errors[0]}")
        problems = check_experiment(self.experiment)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise Refused(f"the experiment is invalid: {problems[0]}{more}")
        policy = self._policy()
        reasons = preflight_policy(policy, self.guard_specs, time.time())
        reasons += self._python_guard_refusals(policy)
        if reasons:
            raise Refused(reasons[0])
        self.lock = acquire_run_lock(scope, self.run_id, configuration, secrets)
        if isinstance(self.lock, LeaseLock):  # no longer alone on the namespaces: abort at once
            self.lock.on_lost = lambda reason: self._on_breach([], lock_lost(reason))
        if self.lock.previous:
            logger.warning(
                "chaosguard: took over the scope lock of dead run %s",
                self.lock.previous.get("run_id"),
            )
        fail_closed = policy.guard.on_unreadable != "ignore"
        self.checks = [
            SloCheck(spec, build_source(spec), fail_closed, build_detector(spec, self.interval_s))
            for spec in self.guard_specs
        ]
        if kill_switch_configured(policy):
            self.checks.append(kill_switch_check(policy))
        if calendar_watched(policy):
            self.checks.append(calendar_check(policy))
        self._start_sources()
        self.watcher = Watcher(self.checks, self.interval_s, self._on_breach, self._on_reading)
        self.preflight_readings = self.watcher.first_readings()
        self._refuse_violated(self.preflight_readings)
        self._check_budget(policy)
        learning = any(c.detector is not None for c in self.checks)
        self.enter(Phase.BASELINE if learning else Phase.WATCHING)
        for reading in self.preflight_readings:
            self._show(reading)  # shown once the run is watched (or learning), in order
        if learning:
            learn_baselines(
                self.checks, self.watcher, self.interval_s, self._refuse_violated, self.baselines
            )
            self.enter(Phase.WATCHING)
        self.watcher.start()

    def _refuse_violated(self, readings: list[Reading], when: str = "before any fault") -> None:
        """Refuse when a reading taken before any fault already violates its guard."""
        bad = [r for r in readings if r.violating]
        if bad:
            r = bad[0]
            what = f"unreadable ({r.error})" if r.value is None else f"{r.value:g}"
            raise Refused(
                f"SLO '{r.guard}' is already breached {when}: {what}, objective "
                f"{self._spec(r.guard).threshold()}"
            )

    def _announce(self, scope: str) -> None:
        """``run-start``: the first event of every run, refused or not (docs/events.md)."""
        if not telemetry_enabled():
            return
        from chaosguard.guard.evidence import policy_digest

        emit(
            "run-start",
            run_id=self.run_id,
            title=str(self.experiment.get("title") or ""),
            scope=scope,
            policy_digest=policy_digest(self.policy),
        )

    def _python_guard_refusals(self, policy: Policy) -> list[str]:
        """Python SLO sources only from modules the operator's policy allows."""
        reasons: list[str] = []
        for spec in self.guard_specs:
            func = getattr(spec, "func", None)
            if spec.source != "python" or not isinstance(func, str):
                continue
            try:
                check_python_guard(policy, func, spec.name)
            except ChaosGuardError as exc:
                reasons.append(str(exc))
        return reasons

    def _policy(self) -> Policy:
        """The merged policy; refuse (fail closed) when none was loaded (the control never
        configured)."""
        if self.policy is None:
            raise Refused("guard configuration is invalid: no policy was loaded")
        return self.policy

    def _start_sources(self) -> None:
        """Prepare every source, then start them: no source builds clients or threads while
        another is already timing requests (an HTTP sampler's first windows would read slow)."""
        for check in self.checks:
            prepare = getattr(check.source, "prepare", None)
            if callable(prepare):
                prepare()
        for check in self.checks:
            check.source.start()

    def _check_budget(self, policy: Policy) -> None:
        """Refuse when the error budget left is under the policy floor (no reading: fail closed)."""
        budget = [
            r
            for r in self.preflight_readings
            if r.guard not in POLICY_GUARDS and self._spec(r.guard).role == "error-budget"
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
    def _objective(self, guard: str) -> str:
        return "off" if guard in POLICY_GUARDS else self._spec(guard).threshold()

    def _on_reading(self, reading: Reading) -> None:
        """Every reading of every tick (preflight's included): emitted, and shown when live."""
        emit(
            "reading",
            guard=reading.guard,
            value=reading.value,
            objective=self._objective(reading.guard),
            violating=reading.violating,
            breached=reading.breached,
            error=reading.error,
            anomalous=reading.anomalous,
            expected=reading.expected,
            band_low=reading.band_low,
            band_high=reading.band_high,
        )
        self._show(reading)

    def _show(self, reading: Reading) -> None:
        if self.live and self.phase.shown:
            from chaosguard.guard.live import show_reading

            show_reading(
                reading, self._spec(reading.guard) if reading.guard not in POLICY_GUARDS else None
            )

    def _on_breach(self, readings: list[Reading], breach: Breach | None = None) -> None:
        """Watcher (or Lease renewal) thread: revert this run's open faults, then interrupt."""
        breached = [r for r in readings if r.breached]
        first = breached[0] if breached else None
        with self._abort_lock:
            if self.breach is not None:
                return
            self.breach = breach or new_breach(first, self.checks, self._objective)
        emit(
            "breach",
            guard=self.breach.guard,
            value=self.breach.value,
            objective=self.breach.threshold,
            reason=self.breach.reason,
        )
        self.breach.reverted, self.breach.revert_errors = revert_open_faults()
        self.breach.faults_reverted_at = time.time()
        emit("abort", guard=self.breach.guard)
        logger.critical(
            "chaosguard: guard '%s' breached (%s, objective %s): faults reverted, aborting",
            self.breach.guard,
            "unreadable" if self.breach.value is None else f"{self.breach.value:g}",
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
        section: str = "method",
    ) -> None:
        """Judge an action (or a ``process`` probe: an action in disguise) of any ``section``.

        Refused: any action in the steady-state hypothesis; any action but a rollback after an
        abort or once the watcher is found dead (which is a breach); any action whose targets
        break the policy (a rollback that injects is judged like a method action). A ``process``
        probe runs any program: it is judged by the policy like the action it may be, in every
        section (``actions.allow: ["process:/usr/bin/curl"]`` lets a health check through).
        """
        if section == "hypothesis" and activity.get("type") == "action":
            what = f"action '{activity.get('name')}' is in the steady-state hypothesis"
            raise Refused(f"{what}, which may only hold probes")
        if self.watcher is not None and self.phase.watched and not self.watcher.check_alive():
            raise Refused("the guard's watcher is not running (fail closed); no action runs")
        lost = self.lock.lost() if self.lock is not None else None
        if lost and section != "rollbacks":  # another runner may hold the scope now
            raise Refused(f"{lost}; no further action runs")
        if self.breach is not None and section != "rollbacks":
            raise Refused(f"guard '{self.breach.guard}' aborted this run; no further action runs")
        judged = dict(activity)
        judged["type"] = "action"  # a process probe is judged as the action it is
        check_activity(self._policy(), judged, configuration, secrets)
        if section == "method" and activity.get("type") == "action" and not self.first_action_at:
            self.first_action_at = time.time()

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
