"""Latency statistics shared by the one-shot HTTP probes and the background sampler."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Sample", "Stats", "percentile", "summarize"]


@dataclass(frozen=True)
class Sample:
    """One request: when it started (epoch s), how long it took (ms), status (0: no answer)."""

    at: float
    latency_ms: float
    status: int
    error: bool


@dataclass(frozen=True)
class Stats:
    """Summary of a set of samples; what SLO checks read."""

    requests: int
    errors: int
    error_ratio: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for journals."""
        return asdict(self)

    def percentile_ms(self, pct: float) -> float:
        """The named percentile when it is one of the summarized ones."""
        return {50.0: self.p50_ms, 95.0: self.p95_ms, 99.0: self.p99_ms, 100.0: self.max_ms}[
            float(pct)
        ]


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (``pct`` in (0, 100]): the value an SLO reports."""
    if not values:
        raise ValueError("no samples")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


def summarize(samples: Sequence[Sample]) -> Stats:
    """Stats over ``samples``; latency percentiles include failed requests (a timeout is slow)."""
    if not samples:
        raise ValueError("no samples")
    lat = [s.latency_ms for s in samples]
    errors = sum(1 for s in samples if s.error)
    return Stats(
        requests=len(samples),
        errors=errors,
        error_ratio=errors / len(samples),
        p50_ms=percentile(lat, 50),
        p95_ms=percentile(lat, 95),
        p99_ms=percentile(lat, 99),
        max_ms=max(lat),
    )
