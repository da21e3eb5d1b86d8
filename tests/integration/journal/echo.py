"""Activities for the publishing runs: hand a (secret-substituted) text back, or fail with it."""

from __future__ import annotations

__all__ = ["echo", "fail_with", "nap"]


def echo(text: str) -> dict:
    """Return ``text`` as the activity's output (as a careless extension would)."""
    return {"echo": text}


def fail_with(text: str) -> None:
    """Raise with ``text`` in the message (as a careless extension's error would)."""
    raise RuntimeError(f"request failed: {text}")


def nap(seconds: float, started: str) -> str:
    """Create the file ``started``, then sleep (an action to interrupt)."""
    import pathlib
    import time

    pathlib.Path(started).touch()
    time.sleep(seconds)
    return "rested"
