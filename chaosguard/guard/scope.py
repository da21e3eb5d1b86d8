"""The target scope a guarded run locks: the machine, plus the Kubernetes namespaces it names."""

from __future__ import annotations

import socket
from typing import Any

__all__ = ["scope_of"]


def _namespace_args(experiment: dict[str, Any]) -> list[Any]:
    return [
        args["ns"] if "ns" in args else args["namespace"]
        for act in (experiment.get("method") or [])
        if isinstance(act, dict)
        for args in [((act.get("provider") or {}).get("arguments") or {})]
        if isinstance(args, dict) and ("ns" in args or "namespace" in args)
    ]


def scope_of(
    experiment: dict[str, Any],
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> str:
    """``host:<name>`` for local experiments; ``k8s:<ns,...>`` when method activities name
    namespaces (``ns`` or ``namespace`` arguments, ``${...}`` resolved from the run's
    ``configuration`` and ``secrets`` as Chaos Toolkit resolves them for the activity)."""
    values = _namespace_args(experiment)
    if values and (configuration or secrets):
        from chaoslib import substitute

        values = [substitute(v, configuration or {}, secrets or {}) for v in values]
    namespaces = sorted({str(v) for v in values})
    if namespaces:
        return "k8s:" + ",".join(namespaces)
    return "host:" + socket.gethostname()
