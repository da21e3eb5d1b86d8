"""The target scope a guarded run locks: the machine, plus the Kubernetes namespaces it names."""

from __future__ import annotations

import socket
from typing import Any

__all__ = ["scope_of"]


def scope_of(experiment: dict[str, Any]) -> str:
    """``host:<name>`` for local experiments; ``k8s:<ns,...>`` when activities name namespaces."""
    namespaces = sorted(
        {
            str(args["ns"] if "ns" in args else args["namespace"])
            for act in (experiment.get("method") or [])
            if isinstance(act, dict)
            for args in [((act.get("provider") or {}).get("arguments") or {})]
            if isinstance(args, dict) and ("ns" in args or "namespace" in args)
        }
    )
    if namespaces:
        return "k8s:" + ",".join(namespaces)
    return "host:" + socket.gethostname()
