"""The canary analysis in every output: facts, the timeline SVG (baseline band, anomaly marks),
the HTML report, JUnit (properties and system-out; a canary finding never fails a met run) and
Markdown."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from chaosguard.guard.evidence import canary_of
from chaosguard.journal.canary import canary_summary, metric_line
from chaosguard.journal.facts import facts_of
from chaosguard.journal.publishers.junit import write_junit
from chaosguard.journal.publishers.markdown import render_markdown
from chaosguard.journal.report import report_html
from chaosguard.journal.steps import steps_of
from chaosguard.journal.timeline import timeline_svg
from tests.unit.journal.samples import canary_journal, guarded_journal, met_journal


def _analysed() -> dict[str, Any]:
    doc = canary_journal()
    doc["chaosguard"]["canary"] = canary_of(doc["chaosguard"], doc)
    return doc


def test_facts_carry_the_canary() -> None:
    assert facts_of(_analysed()).canary is not None
    assert facts_of(guarded_journal()).canary is None  # a journal from before the analysis
    odd = guarded_journal()
    odd["chaosguard"]["canary"] = "garbage"
    assert facts_of(odd).canary is None


def test_text_lines() -> None:
    canary = _analysed()["chaosguard"]["canary"]
    assert canary_summary(canary) == ("canary fail, score 50/100: p95-latency changed under fault")
    line = metric_line(canary["metrics"][0])
    assert line.startswith("p95-latency: High (failing), p ")
    assert "n baseline 38 of 39, 1 NaN/unreadable removed, fault window 41" in line
    assert canary_summary(None) == "canary: not analysed"
    few = {"guard": "x", "classification": "Inconclusive", "reason": "too few readings: 5 needed"}
    assert metric_line(few).endswith("— too few readings: 5 needed")


def _svg(doc: dict[str, Any]) -> str:
    svg = timeline_svg(doc, facts_of(doc), steps_of(doc), salt="t")
    assert svg is not None
    return svg


def test_timeline_draws_the_baseline_band_from_the_canary() -> None:
    svg = _svg(_analysed())
    assert svg.count('id="tl-t-baseline-band"') == 2  # one per guard, ids prefixed
    assert "baseline median 39.82" in svg and "canary High" in svg and "canary Pass" in svg
    assert "anomaly-marks" not in svg  # no reading was flagged


def test_timeline_prefers_the_detector_band_and_marks_anomalies() -> None:
    doc = _analysed()
    for r in doc["chaosguard"]["readings"]:
        if r["guard"] == "p95-latency":
            r.update(band_low=30.0, band_high=52.0, anomalous=(r["value"] or 0) > 60)
    svg = _svg(doc)
    assert "detector band" in svg and "baseline median" not in svg.split("error-rate")[0]
    assert 'id="tl-t-anomaly-marks"' in svg and "anomalous (40)" in svg


def test_timeline_without_canary_has_no_band() -> None:
    assert "baseline-band" not in _svg(guarded_journal())


def test_report_has_the_canary_section() -> None:
    page = report_html([_analysed(), met_journal()], "runs")
    assert page.count("<h3>Canary analysis</h3>") == 1  # the old journal has none
    assert "Canary <b>fail</b>, score <b>50/100</b>" in page
    assert "+198.5%" in page and "38 of 39, 1 NaN/unreadable removed" in page
    assert '<td class="num">50/100</td>' in page  # the overview row


def test_junit_properties_and_system_out_but_no_failure(tmp_path: Path) -> None:
    doc = _analysed()
    assert doc["chaosguard"]["outcome"] == "met"
    root = ET.parse(write_junit([doc], tmp_path / "j.xml")).getroot()
    case = root.find(".//testcase")
    assert case is not None
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["canary_score"] == "50.0" and props["canary_verdict"] == "fail"
    assert props["canary.p95-latency"] == "High" and props["canary.error-rate"] == "Pass"
    assert case.find("failure") is None and root.get("failures") == "0"  # documented choice
    out = case.findtext("system-out") or ""
    assert out.splitlines()[0] == "canary fail, score 50/100: p95-latency changed under fault"
    assert "  p95-latency: High (failing)" in out and "[method] add-250ms-latency" in out


def test_junit_without_canary_is_unchanged(tmp_path: Path) -> None:
    root = ET.parse(write_junit([guarded_journal()], tmp_path / "j.xml")).getroot()
    names = {p.get("name") for p in root.iter("property")}
    assert not any(n and n.startswith("canary") for n in names)


def test_markdown_row_and_details() -> None:
    text = render_markdown([_analysed(), guarded_journal()])
    assert "| Duration | Canary | Reason |" in text
    assert "| fail 50/100 |" in text and "| – |" in text
    assert "- canary fail, score 50/100: p95-latency changed under fault" in text
    assert "  - p95-latency: High (failing)" in text


def test_no_fault_window_says_so() -> None:
    doc = copy.deepcopy(canary_journal())
    doc["run"] = []
    doc["chaosguard"]["canary"] = canary_of(doc["chaosguard"], doc)
    page = report_html([doc], "x")
    assert "score <b>n/a</b>" in page and "no method action ran" in page
