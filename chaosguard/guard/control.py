"""The chaosguard control: guard any Chaos Toolkit experiment.

Per experiment::

    controls:
      - name: chaosguard
        provider:
          type: python
          module: chaosguard.guard      # or, as before, chaosguard.safety.guard
          arguments: {policy_file: policy.yaml}

or globally, for every experiment (``~/.chaostoolkit/settings.yaml`` or
``chaos run --control-file``)::

    controls:
      chaosguard:
        provider:
          {type: python, module: chaosguard.guard, arguments: {policy_file: policy.yaml}}

The operator's policy is the one the global wiring names (or ``$CHAOSGUARD_POLICY``); a
``policy_file`` in the experiment's own control arguments, and its extension block, only make it
stricter (:mod:`chaosguard.guard.wiring`). Every action is judged before it runs, in every section
(a rollback that injects is judged like a method action; an action in the steady-state hypothesis
is refused), and so is a ``process`` probe: it runs any program, so it is an action in disguise.

Guards come from the experiment's ``extensions: [{name: chaosguard, guards: [...]}]`` and/or the
control's ``guards`` argument. Only experiment- and activity-level hooks are used: Chaos Toolkit
drops global method/rollback hooks when the experiment declares controls of its own. Wired twice
(globally and in the experiment) the guard still runs once. Hooks never raise anything but
``InterruptExecution``: Chaos Toolkit swallows other exceptions, and a guard that silently stops
guarding is the one thing we must not ship. So a check that fails for an unexpected reason refuses
(fail closed), and a phase change the session finds illegal is logged, never raised.

Events (docs/events.md): ``run-start`` (from the session, first, refused or not),
``activity-start`` and ``activity-end`` around every activity (probes included), ``outcome`` and
``run-end`` once the journal's ``chaosguard`` section is final.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from chaoslib.exceptions import InterruptExecution

from chaosguard import telemetry
from chaosguard.errors import ChaosGuardError

if TYPE_CHECKING:  # the session (pydantic, the policy) is imported when the first hook runs
    from chaosguard.guard.session import GuardSession

__all__ = [
    "configure_control",
    "before_experiment_control",
    "before_activity_control",
    "after_activity_control",
    "after_experiment_control",
    "cleanup_control",
]

logger = logging.getLogger("chaostoolkit")

#: The guard session of this process (one per run; forgotten by :func:`cleanup_control`).
_session: GuardSession | None = None
#: Activities started and not ended yet: id(activity) → (start, name, type, section). Keyed by
#: identity: Chaos Toolkit hands the same dict to the before and after hooks (and a guard wired
#: twice sees each hook twice: the second start and the second end find nothing to do).
_activities: dict[int, tuple[float, str, str, str]] = {}
_activities_lock = threading.Lock()


def _current() -> GuardSession:
    global _session
    if _session is None:
        from chaosguard.guard.exit import freeze_at_exit
        from chaosguard.guard.session import GuardSession
        from chaosguard.journal.publish import set_guard_publishes

        freeze_at_exit()  # the process's final garbage collection is skipped (guard.exit)
        _session = GuardSession()
        set_guard_publishes(True)  # the guard publishes at its end; the publish control stays out
    return _session


def configure_control(
    configuration: dict = None,
    secrets: dict = None,
    settings: dict = None,
    experiment: dict = None,
    policy_file: str = "",
    guards: list = None,
    scope: str = "",
    live: bool = False,
    **kwargs: Any,
) -> None:
    """Load the policy and guards (errors are kept and refuse the run at preflight: fail closed);
    from now on Chaos Toolkit's log is redacted (secrets and env-sourced configuration values)."""
    args = {"policy_file": policy_file, "guards": guards, "scope": scope, "live": live}
    _current().configure(
        experiment or {}, {k: v for k, v in args.items() if v}, configuration, secrets, settings
    )
    try:
        from chaosguard.journal.logs import install_log_redaction

        install_log_redaction(experiment, secrets=secrets, configuration=configuration)
    except Exception:
        logger.exception("chaosguard: could not install log redaction")


def before_experiment_control(
    context: dict, configuration: dict = None, secrets: dict = None, **kwargs: Any
) -> None:
    """Preflight: policy, kill switch, window, lock, SLOs already breached. Then start watching."""
    from chaosguard.guard.scope import scope_of
    from chaosguard.guard.session import Phase

    session = _current()
    if session.phase is not Phase.CONFIGURED:
        return  # wired twice: the first registration does the work
    scope = session.control_args.get("scope") or scope_of(context, configuration, secrets)
    try:
        session.preflight(scope, configuration, secrets)
    except ChaosGuardError as exc:
        session.refused = str(exc)
        logger.error("chaosguard refused to run: %s", exc)
        raise InterruptExecution(f"chaosguard refused to run: {exc}") from None
    except Exception as exc:
        session.refused = f"guard preflight failed: {type(exc).__name__}: {exc}"
        logger.exception("chaosguard preflight failed")
        raise InterruptExecution(session.refused) from None


def _activity_started(activity: dict, section: str) -> None:
    """``activity-start`` for ``activity`` (once, even when the guard is wired twice)."""
    key = id(activity)
    name, kind = str(activity.get("name")), str(activity.get("type"))
    with _activities_lock:
        if key in _activities:
            return
        _activities[key] = (time.monotonic(), name, kind, section)
    telemetry.emit("activity-start", name=name, type=kind, section=section)


def _activity_ended(activity: dict, status: str, duration_s: float | None = None) -> None:
    """``activity-end`` for ``activity`` (nothing when it was not started or already ended)."""
    with _activities_lock:
        started = _activities.pop(id(activity), None)
    if started is None:
        return
    at, name, kind, section = started
    took = duration_s if duration_s is not None else time.monotonic() - at
    telemetry.emit(
        "activity-end",
        name=name,
        type=kind,
        section=section,
        status=status,
        duration_s=round(took, 6),
    )


def before_activity_control(
    context: dict,
    experiment: dict = None,
    configuration: dict = None,
    secrets: dict = None,
    **kwargs: Any,
) -> None:
    """Before an action (or a ``process`` probe) of any section: refuse it in the hypothesis, after
    an abort, with a dead watcher, or when it breaks the policy (a check that fails for another
    reason refuses too: fail closed)."""
    from chaosguard.guard.phases import phase_of

    session = _current()
    try:  # anything failing here refuses: Chaos Toolkit would swallow it and run the action
        section = phase_of(experiment or {}, context)
        session.reached(section)
        _activity_started(context, section)
        provider = context.get("provider")
        process_probe = isinstance(provider, dict) and provider.get("type") == "process"
        if context.get("type") != "action" and not process_probe:
            return
        session.before_action(context, configuration, secrets, section)
    except ChaosGuardError as exc:
        _refuse(session, f"action '{context.get('name')}' refused: {exc}")
        logger.error("chaosguard: action '%s' refused: %s", context.get("name"), exc)
        _activity_ended(context, "refused", 0.0)
        raise InterruptExecution(f"chaosguard: {exc}") from None
    except Exception as exc:
        reason = (
            f"guard check of action '{context.get('name')}' failed: {type(exc).__name__}: {exc}"
        )
        _refuse(session, reason)
        logger.exception("chaosguard: %s", reason)
        _activity_ended(context, "refused", 0.0)
        raise InterruptExecution(f"chaosguard: {reason}") from None


def _refuse(session: GuardSession, reason: str) -> None:
    """Keep the run's first refusal as its outcome, unless a guard has aborted the run: then
    refusing the next action is the abort's doing, and the outcome stays ``aborted`` (a breach that
    lands between two actions must not read as a refusal)."""
    if session.breach is None and session.refused is None:
        session.refused = reason


def after_activity_control(context: dict, state: Any = None, **kwargs: Any) -> None:
    """``activity-end`` with the activity's status (``succeeded``/``failed``; ``interrupted``
    when Chaos Toolkit gives no run: the activity was cut short, by an abort for instance)."""
    if isinstance(state, dict):
        duration = state.get("duration")
        _activity_ended(
            context,
            str(state.get("status") or "unknown"),
            float(duration) if isinstance(duration, (int, float)) else None,
        )
    else:
        _activity_ended(context, "interrupted")


def after_experiment_control(
    context: dict,
    state: dict = None,
    configuration: dict = None,
    secrets: dict = None,
    settings: dict = None,
    **kwargs: Any,
) -> None:
    """Stop watching, revert leftovers, play rollbacks an abort skipped, fix the status, add
    evidence, publish the journal (directory archive first; publishers configured in the
    settings), then redact the journal Chaos Toolkit writes (secrets, env-sourced values)."""
    from chaosguard.guard.aftermath import finish
    from chaosguard.guard.session import Phase

    session = _current()
    if session.phase is Phase.FINISHED or state is None:
        return
    try:
        finish(session, context, state, configuration or {}, secrets or {})
    except Exception:
        logger.exception("chaosguard: finishing the run failed")
    finally:
        session.enter(Phase.FINISHED)
        from chaosguard.journal.publish import publish_journal
        from chaosguard.journal.redact import redact_in_place

        publish_journal(state, settings, secrets=secrets, configuration=configuration)
        try:
            redact_in_place(state, secrets=secrets, configuration=configuration)
        except Exception:
            logger.exception("chaosguard: redacting the journal failed")
        _emit_outcome(state)


def _emit_outcome(journal: dict) -> None:
    """``outcome`` from the journal's final (redacted) ``chaosguard`` section, then ``run-end``
    (which flushes the traces, bounded). Never raises: a hook must not."""
    try:
        if telemetry.enabled():
            from chaosguard.outcomes import Outcome

            evidence = journal.get("chaosguard")
            if isinstance(evidence, dict):
                outcome, reason = Outcome.parse(evidence.get("outcome")), evidence.get("reason")
            else:
                outcome, reason = Outcome.ERROR, "the guard could not finish the run (see the log)"
            telemetry.emit(
                "outcome",
                outcome=str(outcome),
                reason=reason,
                exit_code=int(outcome.exit_code),
                status=journal.get("status"),
                deviated=bool(journal.get("deviated")),
            )
    except Exception:
        logger.exception("chaosguard: emitting the run's outcome failed")
    telemetry.emit("run-end")


def cleanup_control() -> None:
    """Last hook: make sure nothing is left (watcher, lock, faults), then forget the session."""
    global _session
    session, _session = _session, None
    with _activities_lock:
        _activities.clear()
    if session is None:
        return
    from chaosguard.guard.session import Phase
    from chaosguard.journal.publish import set_guard_publishes
    from chaosguard.policy.active import set_active_policy

    set_active_policy(None)
    set_guard_publishes(False)
    if session.phase is not Phase.FINISHED:
        try:
            session.stop()
        except Exception:  # Chaos Toolkit would only log it at debug level
            logger.exception("chaosguard: stopping the guard at cleanup failed")
