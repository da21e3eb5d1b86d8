"""publish_journal: directory first, never overwrite, bounded retries, failures reported, nothing
raised."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from chaosguard.journal import publishers as publishers_pkg
from chaosguard.journal.config import parse_config
from chaosguard.journal.publish import publish_journal
from chaosguard.journal.publishers import PublishError, registry
from chaosguard.journal.redact import REDACTED
from chaosguard.ledger.files import atomic_write
from tests.unit.journal.samples import PLANTED, SECRET_ENV, guarded_journal, with_secrets


def _settings(*publishers: dict[str, Any]) -> dict[str, Any]:
    return {"chaosguard": {"publishers": list(publishers)}}


def test_nothing_configured_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert publish_journal(guarded_journal(), {}, env={}) == []
    assert list(work.iterdir()) == []


def test_directory_first_then_files_in_the_run_dir(tmp_path: Path) -> None:
    settings = _settings(
        {"type": "markdown", "step_summary": False},
        {"type": "junit"},
        {"type": "directory", "root": str(tmp_path / "runs")},
    )
    results = publish_journal(guarded_journal(), settings, env={})
    assert [(r.type, r.ok) for r in results] == [
        ("directory", True),
        ("markdown", True),
        ("junit", True),
    ]
    run_dir = tmp_path / "runs" / "20261126T122347Z-latency-slo-holds-while-latency-escalates"
    assert results[0].target == str(run_dir / "journal.json")
    assert sorted(p.name for p in run_dir.iterdir()) == ["journal.json", "junit.xml", "summary.md"]
    assert json.loads((run_dir / "journal.json").read_text())["chaosguard"]["outcome"] == "aborted"


def test_a_default_directory_is_added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    results = publish_journal(
        guarded_journal(), _settings({"type": "junit", "path": str(tmp_path / "j.xml")}), env={}
    )
    assert [r.type for r in results] == ["directory", "junit"] and all(r.ok for r in results)
    assert len(list((tmp_path / "runs").glob("*/journal.json"))) == 1


def test_never_overwrites_a_run_dir(tmp_path: Path) -> None:
    settings = _settings({"type": "directory", "root": str(tmp_path)})
    first = publish_journal(guarded_journal(), settings, env={})[0]
    doc = guarded_journal()
    doc["chaosguard"]["run_id"] = "second"
    second = publish_journal(doc, settings, env={})[0]
    assert first.target != second.target
    assert second.target.endswith("-2/journal.json")  # type: ignore[union-attr]
    first_doc = json.loads(Path(first.target).read_text())  # type: ignore[arg-type]
    assert first_doc["chaosguard"]["run_id"] != "second"


def test_atomic_write_never_overwrites_when_told(tmp_path: Path) -> None:
    path = atomic_write(tmp_path / "out" / "a.json", b"one", overwrite=False)
    with pytest.raises(FileExistsError):
        atomic_write(path, b"two", overwrite=False)
    assert path.read_bytes() == b"one"
    assert [p.name for p in path.parent.iterdir()] == ["a.json"]  # no temp file left behind


def test_published_copies_are_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "step-summary.md"))
    env = {**SECRET_ENV, "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md")}
    results = publish_journal(
        with_secrets(),
        _settings(
            {"type": "directory", "root": str(tmp_path / "r")},
            {"type": "junit"},
            {"type": "markdown"},
        ),
        env=env,
    )
    assert all(r.ok for r in results), results
    outputs = [*(tmp_path / "r").rglob("*"), tmp_path / "step-summary.md"]
    for path in outputs:
        if path.is_file():
            text = path.read_text()
            assert [k for k, v in PLANTED.items() if v in text] == [], path
    assert REDACTED in Path(results[0].target or "").read_text()


def test_step_summary_is_appended(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    settings = _settings({"type": "directory", "root": str(tmp_path / "r")}, {"type": "markdown"})
    publish_journal(guarded_journal(), settings, env=env)
    publish_journal(guarded_journal(), settings, env=env)
    text = summary.read_text()
    assert text.startswith("earlier step\n") and text.count("### Chaos experiments") == 2


class _Flaky:
    """A publisher failing ``fails`` times (retryable or not), recording when it was called."""

    def __init__(self, fails: int, retryable: bool = True) -> None:
        self.fails, self.retryable, self.calls = fails, retryable, []  # type: ignore[var-annotated]

    def __call__(self, spec: Any, ctx: Any) -> str:
        self.calls.append(time.monotonic())
        if len(self.calls) <= self.fails:
            raise PublishError(f"boom {len(self.calls)}", retryable=self.retryable)
        return "somewhere"


def _with(monkeypatch: pytest.MonkeyPatch, kind: str, func: Any) -> None:
    funcs = registry()
    funcs[kind] = func
    monkeypatch.setattr(publishers_pkg, "registry", lambda: funcs)


def test_retries_with_backoff_then_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = _Flaky(2)
    _with(monkeypatch, "junit", flaky)
    settings = _settings(
        {"type": "directory", "root": str(tmp_path)},
        {"type": "junit", "attempts": 3, "backoff_s": 0.05},
    )
    result = publish_journal(guarded_journal(), settings, env={})[1]
    assert result.ok and result.attempts == 3
    gaps = [b - a for a, b in zip(flaky.calls, flaky.calls[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # doubled


def test_failure_is_reported_and_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = _Flaky(99)
    _with(monkeypatch, "junit", flaky)
    settings = _settings(
        {"type": "directory", "root": str(tmp_path)},
        {"type": "junit", "attempts": 10, "backoff_s": 0.2, "max_total_s": 0.5},
        {"type": "markdown", "step_summary": False},
    )
    started = time.monotonic()
    results = publish_journal(guarded_journal(), settings, env={})
    assert time.monotonic() - started < 2
    assert [(r.type, r.ok) for r in results] == [
        ("directory", True),
        ("junit", False),
        ("markdown", True),
    ]
    assert results[1].error and results[1].error.startswith("boom") and results[1].attempts < 10
    assert "publisher junit failed" in caplog.text


def test_non_retryable_failure_is_tried_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = _Flaky(99, retryable=False)
    _with(monkeypatch, "junit", flaky)
    settings = _settings(
        {"type": "directory", "root": str(tmp_path)}, {"type": "junit", "attempts": 5}
    )
    assert publish_journal(guarded_journal(), settings, env={})[1].attempts == 1


def test_a_crashing_publisher_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(spec: Any, ctx: Any) -> str:
        raise KeyError("bug")

    _with(monkeypatch, "junit", crash)
    results = publish_journal(
        guarded_journal(),
        _settings({"type": "directory", "root": str(tmp_path)}, {"type": "junit"}),
        env={},
    )
    assert results[1].ok is False and "KeyError" in (results[1].error or "")


def test_failed_directory_reported_and_others_still_try(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    results = publish_journal(
        guarded_journal(),
        _settings(
            {"type": "directory", "root": str(blocker), "attempts": 2, "backoff_s": 0},
            {"type": "junit", "path": str(tmp_path / "j.xml")},
            {"type": "markdown", "step_summary": False},
        ),
        env={},
    )
    assert [(r.type, r.ok) for r in results] == [
        ("directory", False),
        ("junit", True),
        ("markdown", False),
    ]
    assert "run directory" in (results[2].error or "")


def test_invalid_config_still_archives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    results = publish_journal(guarded_journal(), _settings({"type": "webhook"}), env={})
    assert results[0].type == "config" and not results[0].ok
    assert "'chaosguard.publishers.0.url'" in (results[0].error or "")
    assert results[1].type == "directory" and results[1].ok
    assert os.path.exists(results[1].target or "")


def test_explicit_config_and_error_texts_are_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def leak(spec: Any, ctx: Any) -> str:
        raise PublishError(f"server said: bad token {PLANTED['bearer']}", retryable=False)

    _with(monkeypatch, "junit", leak)
    config = parse_config(
        {"publishers": [{"type": "directory", "root": str(tmp_path)}, {"type": "junit"}]}
    )
    results = publish_journal(with_secrets(), None, config, env=SECRET_ENV)
    assert PLANTED["bearer"] not in (results[1].error or "")


def test_nothing_configured_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, chaosguard.journal.publish as p; "
        "assert p.publish_journal({}, {}, env={}) == []; "
        "print(sorted(m for m in sys.modules if m.startswith(('chaosguard.journal.', 'matplotlib', "
        "'prometheus_client'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['chaosguard.journal._keys', 'chaosguard.journal.publish']"
