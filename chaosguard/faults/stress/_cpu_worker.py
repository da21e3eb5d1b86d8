"""CPU stress worker: ``python -m chaosguard.faults.stress._cpu_worker --workers N --load L ...``.

The worker (already at its priority's nice, see :func:`chaosguard.faults.child.worker_setup`) forks
``N`` busy processes — processes, not threads, because of the GIL. A forked child keeps the parent's
command line, ``--chaosguard-record=<id>`` included, so ``terminate_record`` finds every busy
process by that flag. Each busy process runs its own closed loop (:class:`~._dutycycle.DutyCycle`)
in its own session, so that where the kernel groups sessions for scheduling (autogroups) it competes
like one process at its nice, and dies with its parent (``PR_SET_PDEATHSIG``); the parent (idle, in
a normal group) dies with the runner (lifeline), kills and reaps its children on SIGTERM, and exits
once they all finished (``--duration``).
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
from chaosguard.faults.stress._oslib import (
    close_inherited_fds,
    group_nice,
    set_autogroup_nice,
    set_idle_policy,
    set_parent_death_signal,
)

_children: list[int] = []


def _kill_children() -> None:
    """Kill and reap every busy child (runs on SIGTERM and when the runner dies); each one's
    autogroup gets this worker's share first, so that a nice-19 child is scheduled to die at once
    on a busy machine."""
    mine = group_nice() or 0
    for pid in _children:
        set_autogroup_nice(mine, pid)
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
    parent: int, load: float, deadline: float | None, period: float, started: int, idle: bool
) -> None:
    """Body of one forked busy process; never returns."""
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        set_parent_death_signal(signal.SIGKILL)
        if os.getppid() != parent:  # parent died before the death signal was armed
            os._exit(0)
        # its own session, so its own autogroup at its own nice (see set_autogroup_nice); the
        # parent stays in a normal group, where its lifeline and SIGTERM handler run promptly
        os.setsid()
        set_autogroup_nice()
        if idle:  # background: any waking normal task preempts this one at once
            set_idle_policy()
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
    parser.add_argument("--idle", action="store_true", help="busy processes under SCHED_IDLE")
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
            _busy_child(parent, args.load / 100.0, deadline, args.period, started_w, args.idle)
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
