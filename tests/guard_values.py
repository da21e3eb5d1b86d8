"""A Python SLO source for guard tests: the value is whatever the test wrote to
``$CG_TEST_VALUE_FILE``."""

from __future__ import annotations

import os
import time


def read_value() -> float:
    """The number in the file (a missing or empty file raises: the source is unreadable)."""
    with open(os.environ["CG_TEST_VALUE_FILE"]) as fh:
        return float(fh.read())


def wait(seconds: float = 30.0, marker: str = "") -> float:
    """A long action: sleep in small steps (a guard abort must cut it short); touch ``marker``
    first."""
    if marker:
        open(marker, "w").close()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.05)
    return seconds


def fail() -> None:
    """An action that fails."""
    raise RuntimeError("this action fails on purpose")
