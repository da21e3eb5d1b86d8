"""The worker side of :mod:`chaosguard.faults.workers`: lifeline watch, priority, ready report.

Every worker calls :func:`worker_setup` first. It exits the worker as soon as the runner's lifeline
pipe reads EOF (runner dead). ``CHAOSGUARD_LIFELINE=off`` disables that watch: it exists only so
tests can simulate a broken death path and prove that ``chaos cleanup`` still reverts the survivors.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["forked_setup", "report_error", "report_ready", "worker_setup"]

_ready_fd = -1


def worker_setup(
    argv: Sequence[str] | None = None, on_death: Callable[[], None] | None = None
) -> tuple[argparse.Namespace, list[str]]:
    """Parse the common flags, lower priority, start the lifeline watch; return (common, rest)."""
    global _ready_fd
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--chaosguard-record", required=True)
    parser.add_argument("--lifeline-fd", type=int, required=True)
    parser.add_argument("--ready-fd", type=int, required=True)
    parser.add_argument("--nice", type=int, default=0)
    common, rest = parser.parse_known_args(argv)
    _ready_fd = common.ready_fd
    if common.nice:
        os.nice(common.nice)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if os.environ.get("CHAOSGUARD_LIFELINE", "on") != "off":
        _watch_lifeline(common.lifeline_fd, on_death)
    else:
        os.close(common.lifeline_fd)
    return common, rest


def forked_setup(common: argparse.Namespace) -> None:
    """In a process forked from a worker (after :func:`worker_setup`): watch the lifeline again
    (threads do not survive a fork) and leave the ready report to the worker that forked it."""
    global _ready_fd
    if _ready_fd >= 0:
        os.close(_ready_fd)
        _ready_fd = -1
    if os.environ.get("CHAOSGUARD_LIFELINE", "on") != "off":
        _watch_lifeline(common.lifeline_fd, None)


def _watch_lifeline(fd: int, on_death: Callable[[], None] | None) -> None:
    def watch() -> None:
        try:
            while os.read(fd, 1):
                pass
        finally:
            if on_death is not None:
                on_death()
            os._exit(0)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def _send(message: dict[str, Any]) -> None:
    global _ready_fd
    if _ready_fd < 0:
        return
    os.write(_ready_fd, (json.dumps(message) + "\n").encode())
    os.close(_ready_fd)
    _ready_fd = -1


def report_ready(**info: Any) -> None:
    """Tell the parent the fault is active; ``info`` is merged into the record's handles."""
    _send({"info": info})


def report_error(message: str) -> None:
    """Tell the parent the fault could not start (one line, shown to the user)."""
    _send({"error": " ".join(message.split())})
