"""The experiment as the guard reads it: control-argument guards added, ``${...}`` resolved; and
as a check reads it before its run, without the run's environment (:func:`deferred_env`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

__all__ = ["deferred_env", "substituted", "with_control_guards"]


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


def _env_entry(value: Any) -> str | None:
    """The environment key of a ``{type: env, key: K}`` entry without a ``default``, else None."""
    if isinstance(value, dict) and value.get("type") == "env" and "default" not in value:
        key = value.get("key")
        return key if isinstance(key, str) else None
    return None


def deferred_env(
    experiment: dict[str, Any], env: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The experiment as it can be judged before its run, and the environment its run will need.

    Like ``chaos gameday schedule`` with a suite (whose ``${NAME}`` may stay unset there), a
    configuration or secret entry read from an environment variable that is not set here (and has
    no default) stays as written: its value becomes the text ``${KEY}``, which every check treats
    as "known at run time" instead of Chaos Toolkit's "environment key that does not exist".

    :returns: ``(experiment, needs)`` where ``needs`` lists ``(environment key, where)`` of every
        entry read from the environment without a default (``where``: ``configuration.<name>`` or
        ``secrets.<scope>.<name>``), set here or not.
    """
    env = os.environ if env is None else env
    needs: list[tuple[str, str]] = []
    doc = dict(experiment)
    config = experiment.get("configuration")
    if isinstance(config, dict):
        deferred = dict(config)
        for name, value in config.items():
            key = _env_entry(value)
            if key is not None:
                needs.append((key, f"configuration.{name}"))
                if key not in env:
                    deferred[name] = "${" + key + "}"
        doc["configuration"] = deferred
    secrets = experiment.get("secrets")
    if isinstance(secrets, dict):
        scopes: dict[str, Any] = {}
        for scope, entries in secrets.items():
            if not isinstance(entries, dict):
                scopes[scope] = entries
                continue
            scopes[scope] = dict(entries)
            for name, value in entries.items():
                key = _env_entry(value)
                if key is not None:
                    needs.append((key, f"secrets.{scope}.{name}"))
                    if key not in env:
                        scopes[scope][name] = "${" + key + "}"
        doc["secrets"] = scopes
    return doc, needs
