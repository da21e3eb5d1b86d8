"""The experiment as the guard reads it: control-argument guards added, ``${...}`` resolved."""

from __future__ import annotations

from typing import Any

__all__ = ["substituted", "with_control_guards"]


def with_control_guards(experiment: dict[str, Any], guards: list[Any] | None) -> dict[str, Any]:
    """The experiment with guards given as control arguments added to its chaosguard extension."""
    if not guards:
        return experiment
    doc = dict(experiment)
    exts = [dict(e) for e in doc.get("extensions") or []]
    ours = next((e for e in exts if e.get("name") == "chaosguard"), None)
    if ours is None:
        ours = {"name": "chaosguard"}
        exts.append(ours)
    ours["guards"] = list(ours.get("guards") or []) + list(guards)
    doc["extensions"] = exts
    return doc


def substituted(
    experiment: dict[str, Any], configuration: dict[str, Any], secrets: dict[str, Any]
) -> dict[str, Any]:
    """The experiment with ``${...}`` resolved inside its chaosguard extension."""
    if not (configuration or secrets) or not isinstance(experiment.get("extensions"), list):
        return experiment
    from chaoslib import substitute

    doc = dict(experiment)
    doc["extensions"] = [
        substitute(e, configuration, secrets)
        if isinstance(e, dict) and e.get("name") == "chaosguard"
        else e
        for e in experiment["extensions"]
    ]
    return doc
