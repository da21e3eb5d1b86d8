"""CPU stress worker: ``python -m chaosguard.faults.stress._cpu_worker --workers N --load L ...``.

The worker (already at nice 19, see :func:`chaosguard.faults.child.worker_setup`) forks ``N`` busy
processes — processes, not threads, because of the GIL. A forked child keeps the parent's command
line, ``--chaosguard-record=<id>`` included, so ``terminate_record`` finds every busy process by
that flag. Each busy process runs its own closed loop (:class:`~._dutycycle.DutyCycle`) and dies
with its parent (``PR_SET_PDEATHSIG``); the parent dies with the runner (lifeline), kills and reaps
its children on SIGTERM, and exits once they all finished (``--duration``).
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import time
from collections.abc import Sequence

from chaosguard.faults.child import report_error, report_ready, worker_setup
from chaosguard.faults.stress._dutycycle import DutyCycle
from chaosguard.faults.stress._oslib import close_inherited_fds, set_parent_death_signal

_children: list[int] = []


def _kill_children() -> None:
    """Kill and reap every busy child (runs on SIGTERM and when the runner dies)."""
    for pid in _children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in _children:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _on_sigterm(signum: int, frame: object) -> None:
    _kill_children()
    os._exit(0)


def _busy_child(
    parent: int, load: float, deadline: float | None, period: float, started: int
) -> None:
    """Body of one forked busy process; never returns."""
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        set_parent_death_signal(signal.SIGKILL)
        if os.getppid() != parent:  # parent died before the death signal was armed
            os._exit(0)
        close_inherited_fds(keep=(started,))
        os.write(started, b".")
        os.close(started)
        DutyCycle(load, period=period).run(deadline)
    finally:
        os._exit(0)


def _parse(rest: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cpu-worker")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--load", type=float, required=True, help="percent of one CPU per process")
    parser.add_argument("--duration", type=float, default=0.0, help="seconds; 0 = until stopped")
    parser.add_argument("--period", type=float, default=0.020, help="control period in seconds")
    return parser.parse_args(list(rest))


def main(argv: Sequence[str] | None = None) -> int:
    """Fork the busy processes, report ready with their pids, wait for them."""
    _, rest = worker_setup(argv, on_death=_kill_children)
    args = _parse(rest)
    deadline = time.monotonic() + args.duration if args.duration > 0 else None
    parent = os.getpid()
    started_r, started_w = os.pipe()
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            os.close(started_r)
            _busy_child(parent, args.load / 100.0, deadline, args.period, started_w)
        _children.append(pid)
    os.close(started_w)
    signal.signal(signal.SIGTERM, _on_sigterm)
    got = b""
    end = time.monotonic() + 10.0
    while len(got) < args.workers and time.monotonic() < end:
        if select.select([started_r], [], [], 0.5)[0]:
            chunk = os.read(started_r, 64)
            if not chunk:
                break
            got += chunk
    os.close(started_r)
    if len(got) < args.workers:
        report_error(f"only {len(got)} of {args.workers} busy processes started")
        _kill_children()
        return 1
    report_ready(pids=[parent, *_children], busy_pids=list(_children), period_ms=args.period * 1000)
    while _children:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            break
        if pid in _children:
            _children.remove(pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
