"""The guard's per-action check: one call with the activity as Chaos Toolkit hands it to a control.

:func:`check_activity` substitutes ``${...}`` values (when configuration/secrets are given), judges
the arguments of local fault actions with :func:`~.local.check_local`, and for process actions also
the processes they would signal right now (:func:`~chaosguard.local.processes.resolve_processes` +
:func:`~.local.check_processes`).
Kubernetes actions are judged by :func:`~.blast.check_blast_radius` once their targets are resolved
(the Kubernetes support plugs that in); until then they pass here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaosguard.local.processes import resolve_processes
from chaosguard.policy.local import LOCAL_ACTIONS, check_local, check_processes
from chaosguard.policy.model import Policy

__all__ = ["check_activity"]

_PROCESS_ACTIONS = ("signal_processes", "pause_processes")


def _arguments(
    provider: Mapping[str, Any],
    configuration: Mapping[str, Any] | None,
    secrets: Mapping[str, Any] | None,
) -> dict[str, Any]:
    arguments = provider.get("arguments")
    if not isinstance(arguments, Mapping):
        return {}
    if configuration is None and secrets is None:
        return dict(arguments)
    from chaoslib import substitute

    try:
        return dict(substitute(dict(arguments), dict(configuration or {}), dict(secrets or {})))
    except Exception:
        return dict(arguments)


def check_activity(
    policy: Policy,
    activity: Mapping[str, Any],
    configuration: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> None:
    """Refuse (:class:`~chaosguard.errors.Refused`) an action that breaks the policy's blast radius.

    :param activity: the activity dict (``type``, ``name``, ``provider``…); probes and anything that
        is not a chaosguard local fault action pass.
    :param configuration: the experiment's loaded configuration, to substitute ``${...}`` values.
    :param secrets: the experiment's loaded secrets, likewise.
    """
    provider = activity.get("provider")
    if activity.get("type") != "action" or not isinstance(provider, Mapping):
        return
    module, func = provider.get("module"), provider.get("func")
    if (
        provider.get("type") != "python"
        or not isinstance(func, str)
        or LOCAL_ACTIONS.get(func) != module
    ):
        return
    arguments = _arguments(provider, configuration, secrets)
    check_local(policy, f"{module}:{func}", arguments)
    if func in _PROCESS_ACTIONS:
        pid_file, pattern = arguments.get("pid_file", ""), arguments.get("name_pattern", "")
        if (
            isinstance(pid_file, str)
            and isinstance(pattern, str)
            and "${" not in pid_file + pattern
        ):
            check_processes(policy, resolve_processes(pid_file, pattern))
