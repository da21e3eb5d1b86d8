"""The policy in force for an action in this process: the guarded run's, else the operator's file.

Actions that select targets (pod kill, Chaos Mesh faults) check their blast radius against it at
injection time, guarded or not. The guard publishes its merged policy here for the length of a run
(:func:`set_active_policy`); this layer never reaches up to the guard.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy

__all__ = ["active_policy", "guarded_run_active", "set_active_policy"]

_lock = threading.Lock()
_active: Policy | None = None


def set_active_policy(policy: Policy | None) -> None:
    """Make ``policy`` the one actions obey in this process (``None``: back to the operator's
    file)."""
    global _active
    with _lock:
        _active = policy


def guarded_run_active() -> bool:
    """True while a guarded run (the chaosguard control) has published its policy in this
    process."""
    with _lock:
        return _active is not None


def active_policy() -> Policy:
    """The guarded run's merged policy when one is active here, else ``$CHAOSGUARD_POLICY`` (or the
    defaults) — loaded fresh, so a bad file is a one-line ``InvalidArgument``."""
    with _lock:
        policy = _active
    if policy is not None:
        return policy
    from chaosguard.policy.load import load_policy

    return load_policy(None, None)
