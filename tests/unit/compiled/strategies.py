"""Hypothesis strategies for guard specs: valid ones and ones with any value in any field."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.unit.policy.strategies import json_values

_ANOMALY = st.fixed_dictionaries(
    {},
    optional={
        "detector": st.sampled_from(["zscore", "ewma", "shift", "ensemble", "nope"]),
        "direction": st.sampled_from(["up", "down", "both"]),
        "alpha": st.sampled_from([0.001, 0.01, 0.2, 0.3, 0]),
        "baseline_readings": st.sampled_from([5, 20, 60, 1.5, True]),
        "baseline_effective": st.sampled_from(["auto", None, 1, 2, 30, 10_001, "30", False]),
        "baseline_max_readings": st.sampled_from([None, 10, 600]),
        "baseline_range_s": st.sampled_from([None, 300, 0]),
        "members": st.sampled_from([["zscore"], ["zscore", "zscore"], ["ewma", "shift"], []]),
        "k": st.sampled_from([1, 2, 3]),
    },
)
_COMMON: dict[str, st.SearchStrategy[Any]] = {
    "max": st.sampled_from([500, 0.01, None, float("inf"), "5"]),
    "min": st.sampled_from([0.999, 1, None]),
    "for_s": st.sampled_from([0, 5, 3601, -1]),
    "timeout_s": st.sampled_from([None, 1, 0, 61]),
    "role": st.sampled_from(["slo", "error-budget", "other"]),
    "anomaly": st.one_of(st.none(), _ANOMALY),
}
_SOURCES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "python": {"func": st.sampled_from(["os:cpu_count", "mypkg.slo:read", "no colon"])},
    "http": {
        "url": st.just("http://127.0.0.1:8080/"),
        "metric": st.sampled_from(["p95_ms", "error_ratio", "p42"]),
        "window_s": st.sampled_from([5, 0.5, 0]),
    },
    "prometheus": {
        "url": st.just("http://127.0.0.1:9090"),
        "query": st.sampled_from(["up", ""]),
        "freshness_query": st.sampled_from([None, "timestamp(up)", ""]),
    },
}


@st.composite
def guards(draw: st.DrawFn) -> dict[str, Any]:
    """A guard spec of any source, its fields drawn from good and bad values alike."""
    source = draw(st.sampled_from(sorted(_SOURCES)))
    fields = {**_COMMON, **_SOURCES[source]}
    doc = draw(st.fixed_dictionaries({"name": st.sampled_from(["g", ""])}, optional=fields))
    doc["source"] = source
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.sampled_from(["extra", "max", "source"]))] = draw(json_values)
    return doc


@st.composite
def valid_guards(draw: st.DrawFn) -> dict[str, Any]:
    """A valid guard spec of any source."""
    source = draw(st.sampled_from(["python", "http", "prometheus"]))
    doc: dict[str, Any] = {"name": draw(st.sampled_from(["p95", "errors", "budget"]))}
    doc["source"] = source
    bound = draw(st.sampled_from(["max", "min", "anomaly", "max+anomaly"]))
    if "max" in bound:
        doc["max"] = draw(st.sampled_from([500, 0.01, 1e9]))
    if bound == "min":
        doc["min"] = draw(st.sampled_from([0.999, 1]))
    if "anomaly" in bound:
        doc["anomaly"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "detector": st.sampled_from(["zscore", "ewma", "holt", "ensemble"]),
                    "direction": st.sampled_from(["up", "down", "both"]),
                    "alpha": st.sampled_from([0.001, 0.01, 0.2]),
                    "baseline_effective": st.sampled_from(["auto", None, 2, 30]),
                    "confirm": st.integers(1, 5),
                    "members": st.sampled_from([["zscore"], ["ewma", "zscore"]]),
                },
            )
        )
    optional = {"for_s": st.sampled_from([0, 5, 30.5]), "role": st.sampled_from(["slo"])}
    doc.update(draw(st.fixed_dictionaries({}, optional=optional)))
    if source == "python":
        doc["func"] = draw(st.sampled_from(["os:cpu_count", "mypkg.slo:read_value"]))
    elif source == "http":
        doc["url"] = "http://127.0.0.1:8080/"
        doc["metric"] = draw(st.sampled_from(["p95_ms", "error_ratio"]))
    else:
        doc["url"] = "http://127.0.0.1:9090"
        doc["query"] = "sum(rate(http_requests_total[1m]))"
    return doc
