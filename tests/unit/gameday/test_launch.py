"""Starting one experiment's ``chaos run`` (:func:`chaosguard.gameday.launch.run_chaos`): the child
can be interrupted with SIGINT even when the runner ignores it, and the runner keeps ignoring it."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from chaosguard.gameday.launch import run_chaos

CHILD = "import signal, time; print(signal.getsignal(signal.SIGINT), flush=True); time.sleep(0.6)"


def test_a_runner_that_ignores_sigint_starts_its_child_with_the_default(tmp_path: Path) -> None:
    output = tmp_path / "output.log"
    seen: list[object] = []
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a script's background job has it
    try:
        run = run_chaos(
            [sys.executable, "-c", CHILD],
            dict(os.environ),
            output,
            timeout_s=30,
            tick=lambda: seen.append(signal.getsignal(signal.SIGINT)),
        )
        after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert run.rc == 0 and not run.timed_out
    assert "default_int_handler" in output.read_text()  # the child got SIGINT at its default
    assert seen and all(s is signal.SIG_IGN for s in seen)  # the runner ignored it all along
    assert after is signal.SIG_IGN
