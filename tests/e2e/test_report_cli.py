"""``chaos report JOURNAL... -o report.html`` through the real ``chaos`` CLI (entry point
installed)."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.unit.journal.samples import (
    PLANTED,
    SECRET_ENV,
    guarded_journal,
    met_journal,
    with_secrets,
)

pytestmark = pytest.mark.slow


def _chaos(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["chaos", "--no-version-check", "--no-log-file", "report", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_report_of_a_suite_with_junit_and_markdown(
    tmp_path: Path, chaos_env: dict[str, str]
) -> None:
    a = _write(tmp_path, "a.json", met_journal())
    b = _write(tmp_path, "b.json", with_secrets(guarded_journal()))
    res = _chaos(
        {**chaos_env, **SECRET_ENV},
        tmp_path,
        str(a),
        str(b),
        "-o",
        "out/suite.html",
        "--junit",
        "out/junit.xml",
        "--markdown",
        "out/summary.md",
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "wrote out/suite.html" in res.stdout
    html = (tmp_path / "out" / "suite.html").read_text()
    assert "<title>Chaos suite: 2 runs</title>" in html
    assert (
        "Service survives a pod kill" in html
        and "Latency SLO holds while latency escalates" in html
    )
    suite = ET.parse(tmp_path / "out" / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "(1 met, 1 aborted)" in summary
    for path in (tmp_path / "out").iterdir():
        text = path.read_text()
        assert [k for k, v in PLANTED.items() if v in text] == [], path.name


def test_default_output_and_title(tmp_path: Path, chaos_env: dict[str, str]) -> None:
    a = _write(tmp_path, "a.json", guarded_journal())
    res = _chaos(chaos_env, tmp_path, str(a))
    assert res.returncode == 0, res.stderr[-2000:]
    html = (tmp_path / "report.html").read_text()
    assert "<title>Chaos run: Latency SLO holds while latency escalates</title>" in html


def test_bad_input_is_one_line_and_exit_4(tmp_path: Path, chaos_env: dict[str, str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    res = _chaos(chaos_env, tmp_path, str(bad))
    assert res.returncode == 4
    assert res.stderr.strip().startswith("Error: ") and "is not a JSON journal" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    other = _write(tmp_path, "list.json", {"not": "a journal"})
    res = _chaos(chaos_env, tmp_path, str(other))
    assert res.returncode == 4 and "not a Chaos Toolkit journal" in res.stderr
    assert not (tmp_path / "report.html").exists()
    res = _chaos(chaos_env, tmp_path, str(tmp_path / "missing.json"))
    assert res.returncode == 4 and "does not exist" in res.stderr  # a bad command line: 4, not 2
    res = _chaos(chaos_env, tmp_path)
    assert res.returncode == 4 and "Error: Missing argument 'JOURNALS...'." in res.stderr
