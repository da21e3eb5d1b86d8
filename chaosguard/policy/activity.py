"""The guard's per-activity check: one call with the activity as Chaos Toolkit hands it to a
control.

:func:`check_activity` substitutes ``${...}`` values (when configuration/secrets are given), then:

- chaosguard's own actions: the arguments of local fault actions with :func:`~.local.check_local`,
  and for process actions also the processes they would signal right now
  (:func:`~chaosguard.local.processes.resolve_processes` + :func:`~.local.check_processes`);
  Kubernetes actions judge their resolved targets themselves (:mod:`~.kube_plans`);
- every other action, and every ``process`` probe, is foreign (:mod:`~.foreign`): refused unless
  ``actions.allow`` names it; an allowed ``chaosk8s.*`` action is judged on its ``ns``,
  ``label_selector``, ``all``, ``mode`` and ``qty`` arguments;
- python and http probes pass (they observe; a python probe runs code, which is the experiment
  author's to write — see the threat model in ``docs/policy.md``).

The guard calls it before every action of every phase (method, rollbacks, and the hypothesis,
where an action is refused by the experiment validation) and for every process probe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chaosguard.policy.foreign import (
    check_foreign_process,
    check_foreign_python,
    check_k8s_arguments,
    is_k8s,
    is_own,
)
from chaosguard.policy.local import LOCAL_ACTIONS, check_local, check_processes

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy


__all__ = ["check_activity"]

_PROCESS_ACTIONS = ("signal_processes", "pause_processes")


def _substitute(
    value: Any, configuration: Mapping[str, Any] | None, secrets: Mapping[str, Any] | None
) -> Any:
    if configuration is None and secrets is None:
        return value
    from chaoslib import substitute

    try:
        return substitute(value, dict(configuration or {}), dict(secrets or {}))
    except Exception:
        return value


def _arguments(
    provider: Mapping[str, Any],
    configuration: Mapping[str, Any] | None,
    secrets: Mapping[str, Any] | None,
) -> dict[str, Any]:
    arguments = provider.get("arguments")
    if not isinstance(arguments, Mapping):
        return {}
    substituted = _substitute(dict(arguments), configuration, secrets)
    return dict(substituted) if isinstance(substituted, Mapping) else dict(arguments)


def _check_own_local(policy: Policy, module: str, func: str, arguments: dict[str, Any]) -> None:
    if LOCAL_ACTIONS.get(func) != module:
        return
    check_local(policy, f"{module}:{func}", arguments)
    if func in _PROCESS_ACTIONS:
        pid_file, pattern = arguments.get("pid_file", ""), arguments.get("name_pattern", "")
        if (
            isinstance(pid_file, str)
            and isinstance(pattern, str)
            and "${" not in pid_file + pattern
        ):
            from chaosguard.local.processes import resolve_processes  # psutil: on use

            check_processes(policy, resolve_processes(pid_file, pattern))


def check_activity(
    policy: Policy,
    activity: Mapping[str, Any],
    configuration: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> None:
    """Refuse (:class:`~chaosguard.errors.Refused`, one line naming the policy key) an activity
    the policy does not allow.

    :param activity: the activity dict (``type``, ``name``, ``provider``…); python and http probes
        and activities without a provider pass.
    :param configuration: the experiment's loaded configuration, to substitute ``${...}`` values.
    :param secrets: the experiment's loaded secrets, likewise.
    """
    provider = activity.get("provider")
    kind = activity.get("type")
    if not isinstance(provider, Mapping) or kind not in ("action", "probe"):
        return
    provider_type = provider.get("type")
    if provider_type == "process":
        path = _substitute(provider.get("path"), configuration, secrets)
        check_foreign_process(policy, path, str(kind))
        return
    if kind != "action" or provider_type != "python":
        return
    module, func = provider.get("module"), provider.get("func")
    arguments = _arguments(provider, configuration, secrets)
    if is_own(module, func):
        _check_own_local(policy, str(module), str(func), arguments)
        return
    check_foreign_python(policy, module, func)
    if isinstance(module, str) and isinstance(func, str) and is_k8s(module):
        check_k8s_arguments(policy, module, func, arguments)
