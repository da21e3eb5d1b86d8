"""The guard snippets in docs/slo-prometheus.md are valid guards the scanner can read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from chaosguard.slo.prometheus.scanner import series_selectors
from chaosguard.slo.prometheus.source import PrometheusSource
from chaosguard.slo.spec import PrometheusGuard

DOC = Path(__file__).resolve().parents[3] / "docs" / "slo-prometheus.md"


def doc_guards() -> list[dict]:
    guards = []
    for block in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S):
        text = (
            block
            if not block.startswith("      - ")
            else "\n".join(line[6:] for line in block.splitlines())
        )
        data = yaml.safe_load(text)
        if isinstance(data, list):
            guards += data
        elif isinstance(data, dict) and "extensions" in data:
            guards += data["extensions"][0]["guards"]
    return [g for g in guards if g.get("source") == "prometheus"]


def test_the_doc_has_the_promised_snippets() -> None:
    names = [g["name"] for g in doc_guards()]
    assert names == [
        "errors-under-1pct",
        "p95-under-500ms",
        "burn-rate-under-10",
        "error-budget-left",
    ]


@pytest.mark.parametrize("guard", doc_guards(), ids=lambda g: g["name"])
def test_each_snippet_is_a_valid_guard(guard: dict) -> None:
    spec = PrometheusGuard(**guard)
    assert series_selectors(spec.query)  # the staleness check has inputs to look at
    src = PrometheusSource(spec.url, spec.query, spec.max_staleness_s)
    assert src.freshness_query is not None
    src.close()
