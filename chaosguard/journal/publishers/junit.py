"""JUnit XML: one ``<testsuite>``, one ``<testcase>`` per experiment run, for CI test reports.

``met`` passes; ``deviated``, ``aborted``, ``refused``, ``action-failed`` and
``steady-state-unmet`` are ``<failure type="<outcome>" message="<reason>">``; ``error`` is
``<error>``; ``skipped`` (a game day that did not run the experiment) is ``<skipped>``. Each test
case carries ``<properties>`` (outcome, status, policy digest, run id, breach, canary score and
verdict, each guard's canary classification) and, in ``<system-out>``, the canary analysis then its
steps.

A canary finding does **not** turn a passing test case into a failure: JUnit says what the run's
outcome and exit code say (one outcome table, :mod:`chaosguard.outcomes`). A ``High`` metric on a
``met`` run means "the system behaved differently under the fault, within its SLOs": a statistical
signal with a false-alarm rate of about 1 − confidence per metric, worth reading (properties
``canary_verdict=fail``, ``canary.<guard>=High``, the system-out lines) and folded into the game
day's resilience score, but not a broken build.
"""

from __future__ import annotations

import re
import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from chaosguard import __version__
from chaosguard.journal.canary import canary_summary, metric_line, metrics_of
from chaosguard.journal.config import JunitPublisher
from chaosguard.journal.facts import RunFacts, as_dict, as_list, facts_of
from chaosguard.journal.files import private_write
from chaosguard.journal.publishers import PublishContext, expand_path
from chaosguard.journal.redact import redactor_for
from chaosguard.journal.steps import steps_of
from chaosguard.outcomes import Outcome

__all__ = ["write_junit", "junit_xml", "publish"]

SKIPPED = Outcome.SKIPPED

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(value: Any) -> str:
    return _ILLEGAL.sub("?", str(value))


def _message(facts: RunFacts, journal: dict[str, Any]) -> str:
    if facts.reason:
        return facts.reason
    if facts.outcome == "deviated":
        after = as_dict(as_dict(journal.get("steady_states")).get("after"))
        missed = [
            str(as_dict(p.get("activity")).get("name", "?"))
            for p in as_list(after.get("probes"))
            if isinstance(p, dict) and p.get("tolerance_met") is False
        ]
        return "the steady-state hypothesis deviated" + (
            f": {', '.join(missed)} not met" if missed else ""
        )
    return f"outcome {facts.outcome} (status {facts.status})"


def _body(facts: RunFacts, journal: dict[str, Any]) -> str:
    lines = [f"outcome: {facts.outcome}", f"status: {facts.status}"]
    if facts.reason:
        lines.append(f"reason: {facts.reason}")
    if facts.breach:
        b = facts.breach
        lines.append(
            f"breach: guard {b.get('guard')} value {b.get('value')} objective {b.get('threshold')}"
            f" ({b.get('reason')}); revert latency {b.get('revert_latency_s')} s"
        )
    return "\n".join(lines)


def _testcase(suite: ET.Element, journal: dict[str, Any]) -> RunFacts:
    facts = facts_of(journal)
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_x(f"chaosguard.{facts.slug}"),
        name=_x(facts.title),
        time=f"{facts.duration_s or 0:.3f}",
    )
    props = ET.SubElement(case, "properties")
    values = {
        "outcome": facts.outcome,
        "status": facts.status,
        "deviated": str(facts.deviated).lower(),
        "guarded": str(facts.guarded).lower(),
        "policy_digest": facts.policy_digest or "none",
        "run_id": facts.run_id or "",
    }
    if facts.breach:
        values["breach_guard"] = str(facts.breach.get("guard"))
        values["breach_value"] = str(facts.breach.get("value"))
    if facts.canary:
        score = facts.canary.get("score")
        values["canary_score"] = f"{score:.1f}" if isinstance(score, int | float) else "n/a"
        values["canary_verdict"] = str(facts.canary.get("verdict"))
        for m in metrics_of(facts.canary):
            values[f"canary.{m.get('guard')}"] = str(m.get("classification"))
    for key, value in values.items():
        ET.SubElement(props, "property", name=key, value=_x(value))
    if facts.outcome == SKIPPED:
        ET.SubElement(case, "skipped", message=_x(facts.reason or "not run"))
    elif facts.outcome not in (
        "met",
        "error",
    ):  # FAILING, and any outcome this version does not know
        node = ET.SubElement(
            case, "failure", type=_x(facts.outcome), message=_x(_message(facts, journal))
        )
        node.text = _x(_body(facts, journal))
    elif facts.outcome == "error":
        node = ET.SubElement(case, "error", type="error", message=_x(_message(facts, journal)))
        node.text = _x(_body(facts, journal))
    out = ET.SubElement(case, "system-out")
    canary = (
        [canary_summary(facts.canary), *(f"  {metric_line(m)}" for m in metrics_of(facts.canary))]
        if facts.canary
        else []
    )
    out.text = _x(
        "\n".join(
            canary
            + [
                f"[{s.phase}] {s.name} ({s.target}): {s.status}"
                + (f" {s.duration_s:.3f}s" if s.duration_s is not None else "")
                + (f" — {s.detail}" if s.detail else "")
                for s in steps_of(journal)
            ]
        )
    )
    return facts


def junit_xml(journals: list[dict[str, Any]], suite_name: str = "chaosguard") -> bytes:
    """The JUnit XML document of ``journals`` (redacted first)."""
    redactor = redactor_for(journals)
    safe = [redactor.value(j) for j in journals]
    root = ET.Element("testsuites", name=_x(suite_name))
    suite = ET.SubElement(
        root,
        "testsuite",
        name=_x(suite_name),
        hostname=_x(socket.gethostname()),
        timestamp=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="chaosguard.version", value=__version__)
    all_facts = [_testcase(suite, j) for j in safe]
    failures = sum(1 for f in all_facts if f.outcome not in ("met", "error", SKIPPED))
    errors = sum(1 for f in all_facts if f.outcome == "error")
    skipped = sum(1 for f in all_facts if f.outcome == SKIPPED)
    total_time = f"{sum(f.duration_s or 0 for f in all_facts):.3f}"
    starts = [f.start for f in all_facts if f.start is not None]
    if starts:
        suite.set("timestamp", time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(min(starts))))
    for node in (root, suite):
        node.set("tests", str(len(all_facts)))
        node.set("failures", str(failures))
        node.set("errors", str(errors))
        node.set("time", total_time)
    suite.set("skipped", str(skipped))
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def write_junit(
    journals: list[dict[str, Any]], path: Path | str, suite_name: str = "chaosguard"
) -> Path:
    """Write the JUnit XML of ``journals`` to ``path`` atomically (0600); return the path."""
    return private_write(Path(path), junit_xml(journals, suite_name))


def publish(spec: JunitPublisher, ctx: PublishContext) -> str:
    """Write the run's JUnit file (default ``<run dir>/junit.xml``)."""
    return str(write_junit([ctx.journal], expand_path(spec.path, ctx), spec.suite_name))
