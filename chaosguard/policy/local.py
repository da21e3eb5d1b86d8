"""Blast radius of local faults: process signals (count, allowed/denied patterns), CPU, memory.

Two levels:

- :func:`check_local` judges an action's *arguments* (before anything is resolved):
  ``max_processes`` against ``local.max_processes``, the literal ``name_pattern`` text (without its
  ``^``/``$`` anchors; a best effort) against the allowed/denied regexes, ``workers`` against
  ``local.max_cpu_workers``, ``mib`` against ``local.max_memory_mib``. It is what ``chaos guard
  check`` can say without touching the machine. Values still holding ``${...}`` are skipped:
  substitute them first (``chaoslib.substitute``) to have them checked.
- :func:`check_processes` judges the processes the action would actually signal (name and command
  line against the regexes, their count against the limit);
  :func:`~chaosguard.local.processes.resolve_processes` finds them the way the process actions do,
  without signalling anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chaosguard.errors import Refused
from chaosguard.policy.model_rules import AllOfPatternsRules

if TYPE_CHECKING:
    from chaosguard.local.processes import ProcessInfo
    from chaosguard.policy.model import Policy

__all__ = ["LOCAL_ACTIONS", "check_local", "check_processes", "split_action_name"]

LOCAL_ACTIONS = {
    "signal_processes": "chaosguard.actions.process",
    "pause_processes": "chaosguard.actions.process",
    "stress_cpu": "chaosguard.actions.stress",
    "stress_memory": "chaosguard.actions.stress",
}
_DEFAULTS = {"max_processes": 1, "workers": 1}


def split_action_name(action_name: str) -> tuple[str | None, str]:
    """``"mod.sub:func"``, ``"mod.sub.func"`` or ``"func"`` → ``(module or None, func)``."""
    if ":" in action_name:
        module, _, func = action_name.partition(":")
        return module, func
    if "." in action_name:
        module, _, func = action_name.rpartition(".")
        return module, func
    return None, action_name


def _literal(arguments: Mapping[str, Any], name: str, kind: type) -> Any:
    """The argument's literal value of type ``kind`` (its default if absent), else None."""
    value = arguments.get(name, _DEFAULTS.get(name))
    if isinstance(value, bool) or not isinstance(value, kind):
        return None
    return value


def _entry_matches(entry: Any, text: str) -> bool:
    regexes = entry.all_of if isinstance(entry, AllOfPatternsRules) else (entry,)
    return all(re.search(r, text) for r in regexes)


def _check_texts(policy: Policy, what: str, texts: Sequence[str]) -> None:
    limits = policy.local
    for regex in limits.deny_process_patterns:
        if any(re.search(regex, t) for t in texts):
            raise Refused(
                f"refused: {what} matches denied pattern '{regex}' "
                "(policy local.deny_process_patterns)"
            )
    allowed = limits.allow_process_patterns
    if allowed is not None and not any(_entry_matches(e, t) for e in allowed for t in texts):
        shown = ", ".join(
            f"'{e}'" if isinstance(e, str) else f"all of {list(e.all_of)}" for e in allowed
        )
        raise Refused(
            f"refused: {what} matches no pattern of policy local.allow_process_patterns "
            f"({shown or 'none'})"
        )


def check_local(policy: Policy, action_name: str, arguments: Mapping[str, Any]) -> None:
    """Refuse a local fault action whose literal arguments exceed ``policy.local``.

    :param action_name: the provider's function, as ``module:func``, ``module.func`` or ``func``;
        anything that is not one of :data:`LOCAL_ACTIONS` passes.
    :param arguments: the provider's arguments (defaults are applied for absent ones).
    :raises Refused: naming the limit, e.g.
        ``refused: workers=8 exceeds policy local.max_cpu_workers=2``.
    """
    module, func = split_action_name(action_name)
    if func not in LOCAL_ACTIONS or (module is not None and module != LOCAL_ACTIONS[func]):
        return
    limits = policy.local
    if func in ("signal_processes", "pause_processes"):
        wanted = _literal(arguments, "max_processes", int)
        if (
            limits.max_processes is not None
            and wanted is not None
            and wanted > limits.max_processes
        ):
            raise Refused(
                f"refused: max_processes={wanted} exceeds policy "
                f"local.max_processes={limits.max_processes}"
            )
        pattern = _literal(arguments, "name_pattern", str)
        if pattern and "${" not in pattern:  # best effort: the regex's text, without its anchors
            _check_texts(
                policy, f"name_pattern '{pattern}'", [pattern.removeprefix("^").removesuffix("$")]
            )
    elif func == "stress_cpu":
        workers = _literal(arguments, "workers", int)
        if (
            limits.max_cpu_workers is not None
            and workers is not None
            and workers > limits.max_cpu_workers
        ):
            raise Refused(
                f"refused: workers={workers} exceeds policy "
                f"local.max_cpu_workers={limits.max_cpu_workers}"
            )
    elif func == "stress_memory":
        mib = _literal(arguments, "mib", int)
        if limits.max_memory_mib is not None and mib is not None and mib > limits.max_memory_mib:
            raise Refused(
                f"refused: mib={mib} exceeds policy local.max_memory_mib={limits.max_memory_mib}"
            )
    if func in ("stress_cpu", "stress_memory"):
        priority = _literal(arguments, "priority", str)
        if priority == "normal" and not limits.allow_stress_priority_normal:
            raise Refused(
                "refused: priority=normal competes with the services on this machine; set policy "
                "local.allow_stress_priority_normal: true to allow it"
            )


def check_processes(policy: Policy, processes: Sequence[ProcessInfo]) -> None:
    """Refuse when the processes an action would signal break ``policy.local`` (count and
    patterns)."""
    limit = policy.local.max_processes
    if limit is not None and len(processes) > limit:
        raise Refused(
            f"refused: {len(processes)} processes exceed policy local.max_processes={limit}"
        )
    for proc in processes:
        _check_texts(policy, f"process {proc.pid} ({proc.name})", [proc.name, proc.cmdline])
