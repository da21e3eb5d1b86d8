"""StressChaos: CPU and/or memory stressors in the selected pods.

As for NetworkChaos, the cluster's CRD schema judges the values (``load`` 0–100, ``workers`` up to 8192
…) in a server-side dry run, and its verdict names our argument (``cpu_load_pct``, ``memory_workers``…).
"""

from __future__ import annotations

from typing import Any

from chaosguard.errors import InvalidArgument
from chaosguard.faults.chaosmesh.common import ChaosMeshKind
from chaosguard.faults.chaosmesh.fields import duration, merge_extra

__all__ = ["FIELDS", "KIND", "stress_spec"]

FIELDS = {
    "spec.stressors.cpu.workers": "cpu_workers",
    "spec.stressors.cpu.load": "cpu_load_pct",
    "spec.stressors.memory.workers": "memory_workers",
    "spec.stressors.memory.size": "memory_size",
    "spec.duration": "duration_s",
    "spec.mode": "mode",
    "spec.value": "mode_value",
}

KIND = ChaosMeshKind("chaosmesh-stress", "StressChaos", "stresschaos", FIELDS)


def stress_spec(
    selector: dict[str, Any],
    mode: str,
    mode_value: str,
    cpu_workers: int = 0,
    cpu_load_pct: int = 100,
    memory_workers: int = 0,
    memory_size: str = "",
    duration_s: int = 0,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``spec`` of a StressChaos with a CPU and/or a memory stressor."""
    if cpu_workers <= 0 and memory_workers <= 0:
        raise InvalidArgument(
            "cpu_workers",
            "give cpu_workers and/or memory_workers (> 0): a stress without stressors does nothing",
        )
    stressors: dict[str, Any] = {}
    if cpu_workers > 0:
        stressors["cpu"] = {"workers": cpu_workers, "load": cpu_load_pct}
    if memory_workers > 0:
        stressors["memory"] = {"workers": memory_workers}
        if memory_size:
            stressors["memory"]["size"] = memory_size
    spec: dict[str, Any] = {"mode": mode, "selector": selector, "stressors": stressors}
    if mode_value:
        spec["value"] = mode_value
    spec.update(duration(duration_s))
    return merge_extra(spec, extra)
