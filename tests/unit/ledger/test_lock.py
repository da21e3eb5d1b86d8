"""Scope locks: one holder at a time, the holder named, a dead holder's lock taken over."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from chaosguard.errors import Refused
from chaosguard.ledger.lock import acquire_scope
from tests.helpers import python_child

HOLD = """
from chaosguard.ledger.lock import acquire_scope
lock = acquire_scope("host:test", "run-dead")
print("held", flush=True)
import time; time.sleep(60)
"""


def test_second_holder_is_refused_with_the_holder_named(chaosguard_home: Path) -> None:
    child = python_child(HOLD, env={"CHAOSGUARD_HOME": str(chaosguard_home)})
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(Refused, match="locked by guarded run run-dead"):
            acquire_scope("host:test", "run-me")
        other = acquire_scope("host:other", "run-me")  # another scope is free
        other.release()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    lock = acquire_scope("host:test", "run-me")  # the holder died: take over
    assert lock.previous is not None and lock.previous["run_id"] == "run-dead"
    lock.release()
    again = acquire_scope("host:test", "run-me-2")
    assert again.previous is None  # a clean release leaves nothing to take over
    again.release()
