"""Which policy a guarded run obeys: the operator's, made only stricter by the experiment.

One resolution for the run, ``chaos guard check`` and game days, so check and run never disagree:

=====================================================  ==========  ================================
where the policy file is named                         whose       effect
=====================================================  ==========  ================================
global control (settings file or ``--control-file``)   operator    the base policy
``$CHAOSGUARD_POLICY`` (when the global wiring names   operator    the base policy
none)
the experiment's own ``controls:`` ``policy_file``     experiment  merged in, stricter wins
the experiment's ``extensions`` chaosguard ``policy``  experiment  merged in, stricter wins
=====================================================  ==========  ================================

Chaos Toolkit 1.19 calls ``configure_control`` of a global control (settings file or
``--control-file``) with the ``settings`` dict, and the experiment's own controls without it
(``settings`` is None): that is how the guard tells the operator's arguments from the experiment's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chaosguard.policy.load import resolve_policy

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy

__all__ = [
    "GUARD_MODULE",
    "GUARD_MODULES",
    "is_guard_control",
    "operator_policy_file",
    "own_control_arguments",
    "run_policy",
]

GUARD_MODULE = "chaosguard.guard"
#: Every name the guard control goes by in experiment files (the older one still works).
GUARD_MODULES = frozenset({GUARD_MODULE, "chaosguard.guard.control", "chaosguard.safety.guard"})


def is_guard_control(control: Any) -> bool:
    """True for a control block whose python provider is the chaosguard control."""
    provider = control.get("provider") if isinstance(control, Mapping) else None
    return isinstance(provider, Mapping) and provider.get("module") in GUARD_MODULES


def _arguments(control: Mapping[str, Any]) -> dict[str, Any]:
    args = (control.get("provider") or {}).get("arguments")
    return dict(args) if isinstance(args, Mapping) else {}


def own_control_arguments(experiment: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments of the experiment's own chaosguard control (``{}`` when it declares none)."""
    controls = experiment.get("controls") if isinstance(experiment, Mapping) else None
    for control in controls if isinstance(controls, list) else []:
        if is_guard_control(control):
            return _arguments(control)
    return {}


def operator_policy_file(settings: Mapping[str, Any] | None) -> str | None:
    """The ``policy_file`` of a chaosguard control declared in the Chaos Toolkit settings, else of
    one loaded from ``--control-file`` (Chaos Toolkit keeps those out of the settings), else None.
    """
    controls = settings.get("controls") if isinstance(settings, Mapping) else None
    candidates = list(controls.values()) if isinstance(controls, Mapping) else []
    try:
        from chaoslib.control import get_global_controls

        candidates += get_global_controls()
    except Exception:  # chaoslib without global controls: the settings are all there is
        pass
    for control in candidates:
        if is_guard_control(control):
            value = _arguments(control).get("policy_file")
            if isinstance(value, str) and value:
                return value
    return None


def run_policy(operator_file: str | None, experiment: Mapping[str, Any]) -> Policy:
    """The policy a run of ``experiment`` obeys: the operator's file (else ``$CHAOSGUARD_POLICY``,
    else the defaults) with everything the experiment says merged in, stricter wins.

    :raises InvalidArgument: one line naming the file or field that is wrong.
    """
    return resolve_policy(operator_file, experiment)
