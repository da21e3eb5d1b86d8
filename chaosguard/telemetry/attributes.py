"""Span and span-event attribute names for events (no OpenTelemetry import here).

Names follow chaostoolkit-opentracing's (``chaostoolkit.experiment.title``,
``chaostoolkit.activity.name``, ``chaostoolkit.activity.status``,
``chaostoolkit.experiment.status``, ``chaostoolkit.experiment.deviated``,
``chaostoolkit.platform.full``) so dashboards built on its traces keep working; what only
chaosguard knows is under ``chaosguard.*`` (docs/tracing.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["attribute_value", "event_attributes"]

#: Event field → attribute name, where it is not ``chaosguard.<field>``.
RENAMED: dict[str, str] = {
    "title": "chaostoolkit.experiment.title",
    "status": "chaostoolkit.experiment.status",
    "deviated": "chaostoolkit.experiment.deviated",
    "fault_kind": "chaosguard.fault.kind",
    "target": "chaosguard.fault.target",
    "record_id": "chaosguard.fault.record_id",
}
#: Per event kind, renames that differ from :data:`RENAMED`.
BY_KIND: dict[str, dict[str, str]] = {
    "revert": {"latency_s": "chaosguard.revert_latency_s", "ok": "chaosguard.revert.ok"},
    "activity-start": {
        "name": "chaostoolkit.activity.name",
        "type": "chaosguard.activity.type",
        "section": "chaosguard.activity.section",
    },
    "activity-end": {
        "status": "chaostoolkit.activity.status",
        "duration_s": "chaosguard.activity.duration_s",
        "name": "chaostoolkit.activity.name",
        "type": "chaosguard.activity.type",
        "section": "chaosguard.activity.section",
    },
    "experiment-start": {"name": "chaostoolkit.experiment.title"},
    "experiment-end": {"name": "chaostoolkit.experiment.title"},
}


def attribute_value(value: Any) -> Any:
    """``value`` as an attribute may hold it (``None``: leave the attribute out)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    try:
        return json.dumps(value, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def event_attributes(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes of an event's fields (``None`` values left out)."""
    renames = BY_KIND.get(kind, {})
    out: dict[str, Any] = {}
    for key, raw in fields.items():
        value = attribute_value(raw)
        if value is None:
            continue
        out[renames.get(key) or RENAMED.get(key) or f"chaosguard.{key}"] = value
    return out
