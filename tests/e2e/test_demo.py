"""``make demo`` end to end: the guard aborts at the escalation step that breaks the p95 SLO."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import psutil
import pytest

from tests.helpers import ROOT, live_fault_processes

pytestmark = pytest.mark.slow


def test_make_demo(tmp_path: Path, chaosguard_home: Path) -> None:
    env = {**os.environ, "CHAOSGUARD_HOME": str(chaosguard_home)}
    proc = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "demo", f"RUNS_DIR={tmp_path / 'runs'}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (journal_path,) = (tmp_path / "runs").glob("*/journal.json")
    assert (journal_path.parent / "report.html").stat().st_size > 10_000
    assert str(journal_path.relative_to(tmp_path)) in proc.stdout.replace("\n", "")
    journal = json.loads(journal_path.read_text())
    guard = journal["chaosguard"]
    # The steady state held before, the two first steps stayed inside the SLO...
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    steps = {r["activity"]["name"]: r for r in journal["run"]}
    assert steps["p95-at-100ms"]["output"] < 500 and steps["p95-at-250ms"]["output"] < 500
    # ...and the 600 ms step was stopped by the p95 guard, the latency reverted, the rollback
    # played.
    assert guard["outcome"] == "aborted" and journal["status"] == "aborted"
    assert guard["breach"]["guard"] == "p95-latency" and guard["breach"]["value"] > 500
    assert [r["kind"] for r in guard["breach"]["reverted"]] == ["latency-toxic"]
    assert "p95-at-600ms" not in steps
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["remove-latency"]
    assert guard["steady_state_after_abort"]["steady_state_met"] is True
    assert "BREACH" in proc.stderr  # readings were printed live
    # Nothing the demo started is left running.
    assert live_fault_processes(chaosguard_home) == []
    demo = [
        p
        for p in psutil.process_iter(["cmdline"])
        if any("chaosguard.demo" in a for a in (p.info.get("cmdline") or []))
    ]
    assert demo == []
