"""Whatever a journal looks like, JUnit, Markdown, metrics and the HTML report are produced
(nothing raises)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosguard.journal.facts import facts_of
from chaosguard.journal.publishers.junit import junit_xml
from chaosguard.journal.publishers.markdown import render_markdown
from chaosguard.journal.publishers.pushgateway import exposition
from chaosguard.journal.report import report_html
from tests.unit.journal.samples import guarded_journal

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10))
_values = st.recursive(
    _scalars,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=6), kids, max_size=3)
    ),
    max_leaves=10,
)
_paths = st.sampled_from(
    [
        ("status",),
        ("duration",),
        ("start",),
        ("run",),
        ("run", 0),
        ("run", 0, "activity"),
        ("steady_states",),
        ("chaosguard",),
        ("chaosguard", "readings"),
        ("chaosguard", "readings", 0),
        ("chaosguard", "readings", 0, "value"),
        ("chaosguard", "breach"),
        ("chaosguard", "breach", "value"),
        ("chaosguard", "ledger"),
        ("chaosguard", "ledger", 0, "created_at"),
        ("chaosguard", "guards"),
        ("chaosguard", "guards", 0, "max"),
        ("chaosguard", "outcome"),
        ("experiment",),
        ("experiment", "title"),
        ("rollbacks",),
    ]
)


def _mutate(changes: list[tuple[tuple[Any, ...], Any]]) -> dict[str, Any]:
    doc = guarded_journal()
    for path, value in changes:
        node: Any = doc
        for key in path[:-1]:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                break
        else:
            try:
                node[path[-1]] = value
            except (IndexError, TypeError):
                pass
    return doc


_journals = st.lists(st.tuples(_paths, _values), max_size=4).map(_mutate)
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(
    st.lists(
        st.one_of(_journals, st.dictionaries(st.text(max_size=8), _values, max_size=4)),
        min_size=1,
        max_size=3,
    )
)
def test_junit_and_markdown_never_raise(journals: list[dict[str, Any]]) -> None:
    ET.fromstring(junit_xml(journals, "fuzz"))
    assert render_markdown(journals).startswith("### Chaos experiments")
    for journal in journals:
        assert b"chaos_experiment_status" in exposition(journal, facts_of(journal))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_journals)
def test_report_never_raises(journal: dict[str, Any]) -> None:
    html = report_html([journal], "fuzz")
    assert html.endswith("</html>\n") and "could not be drawn" not in html
