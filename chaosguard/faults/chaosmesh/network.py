"""NetworkChaos ``delay``: latency (and jitter, correlation) on the traffic of the selected pods.

The CR fields are built from the activity's arguments; the cluster's CRD schema judges their values (a
server-side dry run before anything is recorded), and its verdict names our argument, e.g.
``invalid argument 'direction': rejected by the NetworkChaos schema of the cluster: spec.direction:
Unsupported value: "sideways": supported values: "to", "from", "both"``.
"""

from __future__ import annotations

from typing import Any

from chaosguard.faults.chaosmesh.common import ChaosMeshKind
from chaosguard.faults.chaosmesh.fields import duration, merge_extra, number

__all__ = ["FIELDS", "KIND", "delay_spec"]

#: CR field → activity argument (to name the argument when the CRD schema refuses a value)
FIELDS = {
    "spec.delay.latency": "latency_ms",
    "spec.delay.jitter": "jitter_ms",
    "spec.delay.correlation": "correlation_pct",
    "spec.direction": "direction",
    "spec.duration": "duration_s",
    "spec.mode": "mode",
    "spec.value": "mode_value",
}

KIND = ChaosMeshKind("chaosmesh-network", "NetworkChaos", "networkchaos", FIELDS)


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
    """The ``spec`` of a NetworkChaos adding ``latency_ms`` (± ``jitter_ms``) to the selected pods."""
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
