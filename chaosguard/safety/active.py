"""The policy in force for an action in this process: the guard's, or the policy file's, or defaults.

Actions that select targets (pod kill, Chaos Mesh faults) check their blast radius against it at
injection time, guarded or not.
"""

from __future__ import annotations

from typing import Any

__all__ = ["active_policy"]


def active_policy() -> Any:
    """The guard session's merged policy when a guarded run is active here, else ``$CHAOSGUARD_POLICY``
    (or the defaults) — loaded fresh, so a bad file is a one-line ``InvalidArgument``."""
    from chaosguard.safety import guard

    session = guard._session
    if session is not None and session.policy is not None:
        return session.policy
    from chaosguard.safety.policy import load_policy

    return load_policy(None, None)
