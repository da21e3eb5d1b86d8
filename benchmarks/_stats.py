"""The statistics every benchmark reports: nearest-rank percentiles and medians."""

from __future__ import annotations

import math

__all__ = ["median", "pct"]


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in (0, 100]) of ``values``, sorted or not; None when empty.
    With 20 values p99 is the maximum."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered) / 100.0) - 1)]


def median(values: list[float]) -> float | None:
    """The median of ``values`` (the mean of the middle two for an even count); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
