"""The gate every chaosguard action passes right before it injects: the operator's policy, enforced
with or without the guard control.

:func:`admit` takes the policy in force (:func:`~chaosguard.policy.active.active_policy`: the
guarded run's merged policy, else ``$CHAOSGUARD_POLICY``, else the defaults) and refuses, with one
line naming the policy key, when

1. the kill switch is on (any source, fail closed);
2. a freeze is in force, or no time window is open — unless a guarded run is active and the operator
   chose ``guard.on_window_end: finish`` (the guard then lets a started run finish);
3. no guarded run is active in this process and ``allow_unguarded`` is false — the default: an
   action outside a guarded run needs an operator policy that says ``allow_unguarded: true``;
4. the action's arguments exceed ``local`` (:func:`~.local.check_local`); process actions also
   pass :func:`admit_processes` with the exact processes they are about to signal
   (:func:`~.local.check_processes`).

The Kubernetes actions judge their blast radius through :mod:`~.kube_plans` with the same policy
before they call :func:`admit`. What does not inject (reverts, dry runs) never passes the gate: a
rollback must always be able to undo.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chaosguard.errors import Refused
from chaosguard.policy.active import active_policy, guarded_run_active
from chaosguard.policy.killswitch import kill_switch_state
from chaosguard.policy.local import check_local, check_processes
from chaosguard.policy.windows import frozen, window_open

if TYPE_CHECKING:
    from chaosguard.local.processes import ProcessInfo
    from chaosguard.policy.model import Policy

__all__ = ["admit", "admit_listen", "admit_processes", "is_loopback"]


def _check_time(policy: Policy, action: str, guarded: bool, now: float) -> None:
    if guarded and policy.guard.on_window_end == "finish":
        return  # the guarded run started inside its window and the operator lets it finish
    is_frozen, why = frozen(policy, now)
    if is_frozen:
        raise Refused(f"refused: {action}: freeze in force, {why} (policy freeze)")
    is_open, why = window_open(policy, now)
    if not is_open:
        raise Refused(f"refused: {action}: {why} (policy windows)")


def _check_guarded(policy: Policy, action: str, guarded: bool) -> None:
    if guarded or policy.allow_unguarded:
        return
    raise Refused(
        f"refused: {action} outside a guarded run (policy allow_unguarded is false; run the "
        "experiment with the chaosguard.guard control)"
    )


def admit(
    action: str,
    arguments: Mapping[str, Any],
    now: float | None = None,
) -> Policy:
    """Refuse (:class:`~chaosguard.errors.Refused`) unless the policy in force lets ``action``
    inject now; return that policy (for limits the action applies itself).

    :param action: the activity as ``module:func`` (e.g. ``chaosguard.actions.stress:stress_cpu``).
    :param arguments: its validated arguments (judged by :func:`~.local.check_local`).
    :param now: epoch seconds (tests); ``time.time()`` by default.
    """
    policy = active_policy()
    guarded = guarded_run_active()
    state = kill_switch_state(policy)
    if state.on:
        raise Refused(f"refused: {action}: kill switch is on ({state.source}): {state.reason}")
    _check_time(policy, action, guarded, time.time() if now is None else now)
    _check_guarded(policy, action, guarded)
    check_local(policy, action, arguments)
    return policy


def admit_processes(policy: Policy, processes: Sequence[ProcessInfo]) -> None:
    """Refuse when the processes a process action is about to signal break ``policy.local``
    (their number, ``allow_process_patterns``, ``deny_process_patterns``); call it after
    :func:`admit`, with the policy it returned, once the targets are selected."""
    check_processes(policy, processes)


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``; false for anything else (0.0.0.0, ::, a
    name, another address)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def admit_listen(policy: Policy, host: str, address: str) -> None:
    """Refuse a listen ``host`` other than loopback unless ``local.allow_non_loopback_listen``.

    :param address: the whole ``host:port``, for the message.
    """
    if is_loopback(host) or policy.local.allow_non_loopback_listen:
        return
    raise Refused(
        f"refused: listen address {address} is not loopback (127.0.0.0/8, ::1, localhost); "
        "set policy local.allow_non_loopback_listen: true to allow it"
    )
