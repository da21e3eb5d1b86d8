"""What a Chaos Mesh fault is asked to be: the frozen spec, and the CR ``spec`` builders.

:class:`ChaosMeshSpec` names the cluster (kubeconfig path and context, no credentials), the
namespace and the complete CR ``spec``. The builders make that ``spec`` from an activity's
arguments: :func:`delay_spec` (NetworkChaos ``delay``: latency, jitter, correlation, direction) and
:func:`stress_spec` (StressChaos CPU and memory stressors). The cluster's CRD schema judges the
values (a server-side dry run, :meth:`~chaosguard.faults.chaosmesh.kind.ChaosMeshKind.validate`),
and its verdict names our argument through :data:`NETWORK_FIELDS` / :data:`STRESS_FIELDS`, e.g.
``invalid argument 'direction': rejected by the NetworkChaos schema of the cluster:
spec.direction: Unsupported value: "sideways": supported values: "to", "from", "both"``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chaosguard.errors import InvalidArgument

__all__ = [
    "NETWORK_FIELDS",
    "PROTECTED",
    "STRESS_FIELDS",
    "ChaosMeshSpec",
    "delay_spec",
    "duration",
    "merge_extra",
    "number",
    "stress_spec",
]

#: spec keys chaosguard sets itself: ``extra`` may not change where the fault lands
PROTECTED = ("selector", "mode", "value", "target", "remoteCluster", "duration")

#: NetworkChaos CR field → activity argument (to name the argument when the CRD schema refuses it)
NETWORK_FIELDS = {
    "spec.delay.latency": "latency_ms",
    "spec.delay.jitter": "jitter_ms",
    "spec.delay.correlation": "correlation_pct",
    "spec.direction": "direction",
    "spec.duration": "duration_s",
    "spec.mode": "mode",
    "spec.value": "mode_value",
}

#: StressChaos CR field → activity argument
STRESS_FIELDS = {
    "spec.stressors.cpu.workers": "cpu_workers",
    "spec.stressors.cpu.load": "cpu_load_pct",
    "spec.stressors.memory.workers": "memory_workers",
    "spec.stressors.memory.size": "memory_size",
    "spec.duration": "duration_s",
    "spec.mode": "mode",
    "spec.value": "mode_value",
}


class ChaosMeshSpec(BaseModel):
    """One Chaos Mesh object: where (cluster, namespace) and its complete ``spec``.

    ``extra`` keeps the user's own CR fields (already merged into ``spec``) so that a schema
    rejection of one of them names the ``extra`` argument.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kubeconfig: str
    context: str
    verify_tls: bool = True
    namespace: str = Field(min_length=1, max_length=63)
    spec: dict[str, Any]
    extra: dict[str, Any] = {}


def number(value: float) -> str:
    """``100.0`` → ``"100"``, ``0.5`` → ``"0.5"`` (never an exponent)."""
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def duration(seconds: int) -> dict[str, Any]:
    """``{"duration": "30s"}``, or ``{}`` for 0 (until reverted)."""
    if seconds < 0:
        raise InvalidArgument("duration_s", f"must be >= 0 (0 = until reverted) (got {seconds})")
    return {"duration": f"{seconds}s"} if seconds else {}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _merge(dict(base[key]), value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def merge_extra(
    spec: dict[str, Any], extra: dict[str, Any] | None, protected: Sequence[str] = ()
) -> dict[str, Any]:
    """``spec`` with the user's ``extra`` fields merged in (deeply); selection keys refused."""
    if not extra:
        return spec
    if not isinstance(extra, dict):
        raise InvalidArgument(
            "extra", f"expected a mapping of Chaos Mesh spec fields (got {type(extra).__name__})"
        )
    for key in (*PROTECTED, *protected):
        if key in extra:
            raise InvalidArgument(
                "extra",
                f"may not set '{key}' (chaosguard sets it from its own "
                "arguments, under the policy's blast-radius rules)",
            )
    return _merge(copy.deepcopy(spec), extra)


def delay_spec(
    selector: dict[str, Any],
    mode: str,
    mode_value: str,
    latency_ms: float,
    jitter_ms: float = 0.0,
    correlation_pct: float = 0.0,
    direction: str = "to",
    duration_s: int = 0,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``spec`` of a NetworkChaos adding ``latency_ms`` (± ``jitter_ms``) to the pods."""
    delay: dict[str, Any] = {"latency": f"{number(latency_ms)}ms"}
    if jitter_ms:
        delay["jitter"] = f"{number(jitter_ms)}ms"
    if correlation_pct:
        delay["correlation"] = number(correlation_pct)
    spec: dict[str, Any] = {
        "action": "delay",
        "mode": mode,
        "selector": selector,
        "delay": delay,
        "direction": direction,
    }
    if mode_value:
        spec["value"] = mode_value
    spec.update(duration(duration_s))
    return merge_extra(spec, extra, protected=("action",))


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
