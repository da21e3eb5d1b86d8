"""Facts, steps, JUnit XML and Markdown from journals."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import chaosguard.journal as journal_pkg
from chaosguard.journal.facts import facts_of, slug_of
from chaosguard.journal.publishers.junit import write_junit
from chaosguard.journal.publishers.markdown import render_markdown
from chaosguard.journal.steps import steps_of
from tests.unit.journal.samples import (
    PLANTED,
    SECRET_ENV,
    guarded_journal,
    met_journal,
    outcome_journal,
    plain_journal,
    with_secrets,
)


def test_public_surface() -> None:
    assert sorted(journal_pkg.__all__) == [
        "PublishResult",
        "PublishersConfig",
        "load_config",
        "publish_journal",
        "redact_journal",
        "render_markdown",
        "render_report",
        "write_junit",
    ]
    assert all(callable(getattr(journal_pkg, name)) for name in journal_pkg.__all__)


def test_facts_of_an_aborted_run() -> None:
    f = facts_of(guarded_journal())
    assert (f.outcome, f.status, f.guarded) == ("aborted", "aborted", True)
    assert (
        f.reason == "guard 'p95-latency' breached: value 631, objective <= 500 (objective violated)"
    )
    assert f.duration_s == pytest.approx(9.1)
    assert len(f.windows) == 1 and f.windows[0].closed_at is not None
    assert f.slug == "latency-slo-holds-while-latency-escalates"


@pytest.mark.parametrize(
    ("doc", "outcome"),
    [
        (plain_journal(), "met"),
        (plain_journal(deviated=True), "deviated"),
        (plain_journal(status="interrupted"), "error"),
        (plain_journal(status="aborted"), "aborted"),
    ],
)
def test_outcome_of_unguarded_journals(doc: dict, outcome: str) -> None:
    f = facts_of(doc)
    assert f.outcome == outcome and not f.guarded and f.policy_digest is None


def test_malformed_journals_do_not_raise() -> None:
    for doc in (
        {},
        {"experiment": "x", "run": "y", "chaosguard": []},
        {"chaosguard": {"ledger": [1, {}]}},
    ):
        assert facts_of(doc).outcome
        steps_of(doc)


def test_slug() -> None:
    assert slug_of({"experiment": {"title": "  Héllo, World!! "}}) == "h-llo-world"
    assert slug_of({}) == "experiment"
    assert len(slug_of({"experiment": {"title": "word " * 40}})) <= 48


def test_steps_in_order_with_interrupted() -> None:
    steps = steps_of(guarded_journal())
    assert [(s.phase, s.name) for s in steps] == [
        ("hypothesis before", "p95-under-500ms"),
        ("method", "add-100ms-latency"),
        ("method", "escalate-to-600ms"),
        ("method", "hold"),
        ("rollbacks", "remove-latency"),
    ]
    assert steps[0].status == "succeeded, tolerance met"
    assert steps[3].status == "interrupted"
    assert steps[1].target == "chaosguard.actions.latency.add-100ms-latency"


def _junit(tmp_path: Path, journals: list[dict]) -> ET.Element:
    path = write_junit(journals, tmp_path / "out" / "junit.xml", "nightly chaos")
    return ET.parse(path).getroot()


def test_junit_structure(tmp_path: Path) -> None:
    journals = [
        met_journal(),
        guarded_journal(),
        outcome_journal("refused", "kill switch: ON"),
        outcome_journal("error", "experiment ended with status failed"),
        plain_journal(deviated=True),
    ]
    root = _junit(tmp_path, journals)
    suites = root.findall("testsuite")
    assert root.tag == "testsuites" and len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "nightly chaos"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "3", "1")
    cases = suite.findall("testcase")
    assert len(cases) == 5
    met, aborted, refused, error, deviated = cases
    assert met.find("failure") is None and met.find("error") is None
    failure = aborted.find("failure")
    assert (
        failure is not None
        and failure.get("type") == "aborted"
        and "p95-latency" in failure.get("message", "")
    )
    assert refused.find("failure").get("message") == "kill switch: ON"  # type: ignore[union-attr]
    assert error.find("error") is not None and error.find("failure") is None
    deviated_message = deviated.find("failure").get("message", "")  # type: ignore[union-attr]
    assert "p95-under-500ms not met" in deviated_message
    props = {p.get("name"): p.get("value") for p in aborted.iter("property")}
    assert props["outcome"] == "aborted" and props["policy_digest"] == "sha256:" + "ab" * 32
    assert props["breach_guard"] == "p95-latency"
    assert float(aborted.get("time", "0")) == pytest.approx(9.1, abs=0.01)
    assert "[method] hold" in (aborted.findtext("system-out") or "")


def test_junit_survives_control_characters_and_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    doc = with_secrets(outcome_journal("action-failed", "action 'x' failed: \x00\x1b[31mboom"))
    path = write_junit([doc], tmp_path / "j.xml", "s")
    text = path.read_text()
    ET.fromstring(text.encode())
    assert [k for k, v in PLANTED.items() if v in text] == []


def test_markdown_summary() -> None:
    text = render_markdown(
        [met_journal(), guarded_journal(), outcome_journal("refused", "window | closed")]
    )
    assert text.startswith("### Chaos experiments: 3 runs (1 met, 1 aborted, 1 refused)")
    assert "| ✅ | Service survives a pod kill | **met** |" in text
    assert "window \\| closed" in text  # pipes cannot break the table
    assert "breach: guard `p95-latency` read 631, objective `&lt;= 500`" in text
    assert "faults reverted 3 ms after the breach" in text


def test_markdown_has_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    text = render_markdown([with_secrets(outcome_journal("refused", f"token={PLANTED['bearer']}"))])
    assert [k for k, v in PLANTED.items() if v in text] == []


def test_a_skipped_experiment_is_skipped_in_junit(tmp_path: Path) -> None:
    """What a game day hands over for an experiment it did not run (no journal of its own)."""
    skipped = {
        "experiment": {"title": "not run", "method": []},
        "status": "skipped",
        "deviated": False,
        "start": "2026-11-26T12:00:00",
        "end": "2026-11-26T12:00:00",
        "duration": 0.0,
        "run": [],
        "rollbacks": [],
        "chaosguard": {"outcome": "skipped", "reason": "an earlier experiment aborted"},
    }
    suite = _junit(tmp_path, [skipped, met_journal()]).find("testsuite")
    assert suite is not None and (
        suite.get("tests"),
        suite.get("failures"),
        suite.get("skipped"),
    ) == ("2", "0", "1")
    node = suite.findall("testcase")[0].find("skipped")
    assert node is not None and node.get("message") == "an earlier experiment aborted"
    assert "⏭️ | not run | **skipped**" in render_markdown([skipped])
