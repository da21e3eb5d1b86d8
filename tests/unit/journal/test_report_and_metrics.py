"""The HTML report (self-contained, plotted with matplotlib) and the Pushgateway payload, without
servers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from chaosguard.journal.facts import facts_of
from chaosguard.journal.publishers.pushgateway import exposition, group_path
from chaosguard.journal.report import render_report
from tests.unit.journal.samples import (
    PLANTED,
    SECRET_ENV,
    guarded_journal,
    met_journal,
    outcome_journal,
    plain_journal,
    with_secrets,
)


def _samples(doc: dict) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = exposition(doc, facts_of(doc)).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_metrics_of_an_aborted_run() -> None:
    m = _samples(guarded_journal())
    assert m[("chaos_experiment_status", (("outcome", "aborted"),))] == 1
    assert m[("chaos_experiment_status", (("outcome", "met"),))] == 0
    assert m[("chaos_experiment_duration_seconds", ())] == pytest.approx(9.1)
    assert m[("chaos_experiment_aborted", ())] == 1
    assert m[("chaos_guard_breach", (("guard", "p95-latency"),))] == 1
    assert m[("chaos_guard_breach", (("guard", "error-rate"),))] == 0
    assert m[("chaos_guard_breach_value", (("guard", "p95-latency"),))] == 631
    assert m[("chaos_fault_revert_latency_seconds", ())] == pytest.approx(0.003)
    assert m[("chaos_faults_injected", (("kind", "latency-toxic"),))] == 1
    assert m[("chaos_faults_left_open", ())] == 0
    assert m[("chaos_guard_last_value", (("guard", "p95-latency"),))] == 631


def test_metrics_of_a_met_and_an_unguarded_run() -> None:
    met = _samples(met_journal())
    assert met[("chaos_experiment_status", (("outcome", "met"),))] == 1
    assert ("chaos_fault_revert_latency_seconds", ()) not in met
    assert all(v == 0 for (name, _), v in met.items() if name == "chaos_guard_breach")
    plain = _samples(plain_journal(deviated=True))
    assert plain[("chaos_experiment_status", (("outcome", "deviated"),))] == 1
    assert plain[("chaos_experiment_deviated", ())] == 1


def test_group_path_encodes_slashes() -> None:
    assert group_path("chaos", {"experiment": "a-b"}) == "/metrics/job/chaos/experiment/a-b"
    assert group_path("a/b", {"x": ""}) == "/metrics/job@base64/YS9i/x@base64/="


def _html(tmp_path: Path, journals: list[dict], title: str = "Nightly chaos") -> str:
    return render_report(journals, tmp_path / "report" / "r.html", title).read_text()


def test_report_is_self_contained(tmp_path: Path) -> None:
    html = _html(tmp_path, [guarded_journal()])
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", html, re.I) and "@import" not in html
    assert "<script" not in html.lower()


def test_report_shows_summary_steps_and_plot(tmp_path: Path) -> None:
    html = _html(tmp_path, [guarded_journal()])
    for text in (
        "Nightly chaos",
        "aborted",
        "sha256:" + "ab" * 32,
        "p95-latency",
        "error-rate",
        "escalate-to-600ms",
        "remove-latency",
        "hypothesis before",
        "rollbacks",
        "interrupted",
        "revert latency",
        "latency-toxic",
    ):
        assert text in html, text
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 1
    svg = svgs[0]
    # drawn by matplotlib, text kept as text: the legend names what is shaded and marked
    assert "Matplotlib" in svg or "matplotlib" in svg.lower()
    for label in (
        "fault window",
        "objective ≤ 500",
        "breach (631)",
        "faults reverted",
        "unreadable",
        "seconds since the run started",
    ):
        assert label in svg, label


def test_suite_report_has_a_row_per_run(tmp_path: Path) -> None:
    runs = [
        met_journal(),
        guarded_journal(),
        outcome_journal("refused", "kill switch: ON"),
        plain_journal(),
    ]
    html = _html(tmp_path, runs, "Suite")
    assert html.count('<section class="run"') == 4
    assert all(f'href="#run-{i}"' in html for i in range(1, 5))
    assert "kill switch: ON" in html and "Unguarded experiment" in html
    # distinct plots keep distinct ids (several SVGs inline in one document)
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_report_has_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    html = _html(tmp_path, [with_secrets()], title=f"run {PLANTED['literal_secret']}")
    assert [k for k, v in PLANTED.items() if v in html] == []
