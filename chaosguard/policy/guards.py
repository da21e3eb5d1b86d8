"""What counts as a guard is the operator's call: python SLO sources from allowed modules only.

A python guard (``source: python``, ``func: "module:function"``) runs code that decides whether the
experiment is safe; ``{source: python, func: "os:getpid", max: 1e8}`` would make any experiment
count as guarded. :func:`check_python_guard` allows ``chaosguard.*`` and the module prefixes of the
operator's ``guard.python_modules`` only (a prefix ``corp.slo`` allows ``corp.slo`` and
``corp.slo.*``, not ``corp.slothing``). The guard calls it at preflight for every python guard,
before the module is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaosguard.errors import Refused

if TYPE_CHECKING:
    from chaosguard.policy.model import Policy

__all__ = ["OWN_PREFIX", "check_python_guard", "python_module_allowed"]

OWN_PREFIX = "chaosguard"


def _covered(prefix: str, module: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def python_module_allowed(policy: Policy, module: str) -> bool:
    """True when python SLO sources may come from ``module`` under ``policy``."""
    return any(_covered(p, module) for p in (OWN_PREFIX, *policy.guard.python_modules))


def check_python_guard(policy: Policy, func: str, name: str = "") -> None:
    """Refuse (:class:`Refused`, one line naming ``guard.python_modules``) a python SLO source
    whose module is outside ``chaosguard.*`` and the policy's allowed prefixes.

    :param func: the guard's ``func``, ``"module:function"`` (``"module.function"`` is read the
        same way).
    :param name: the guard's name, shown in the message.
    """
    module = func.partition(":")[0] if ":" in func else func.rpartition(".")[0]
    if python_module_allowed(policy, module.strip()):
        return
    who = f"guard '{name}'" if name else "a python guard"
    allowed = ", ".join((f"{OWN_PREFIX}.*", *policy.guard.python_modules))
    raise Refused(
        f"refused: {who} calls '{func}' from module '{module}', which policy "
        f"guard.python_modules does not allow (allowed: {allowed}; the operator adds "
        f'"{module}" to allow it)'
    )
