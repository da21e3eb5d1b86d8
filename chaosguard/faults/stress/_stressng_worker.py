"""Wrapper around one ``stress-ng`` run:
``python -m chaosguard.faults.stress._stressng_worker ...``.

It owns what stress-ng cannot: the lifeline to the runner, the record flag, and a clean stop.
stress-ng runs in its own session (process group; autogroup at this wrapper's nice, while the
wrapper keeps a normal one and stays responsive) with ``PR_SET_PDEATHSIG`` armed; this wrapper is a
child subreaper, so when it kills the group it can also reap stress-ng's orphaned stressors (no
zombies left behind).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

import psutil

from chaosguard.faults.child import report_error, report_ready, worker_setup
from chaosguard.faults.stress._oslib import (
    group_nice,
    reap_children,
    rss_bytes,
    set_autogroup_nice,
    set_child_subreaper,
)
from chaosguard.faults.workers import RECORD_FLAG

_group = 0


def _stop_group() -> None:
    """Kill stress-ng's whole process group and reap it (SIGTERM, runner death, end of duration)."""
    if _group:
        # stress-ng's session may be a nice-19 autogroup: give it this wrapper's share first, or on
        # a busy machine its processes wait long to be scheduled and die
        set_autogroup_nice(group_nice() or 0, _group)
        try:
            os.killpg(_group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap_children(timeout=1.0)


def _on_sigterm(signum: int, frame: object) -> None:
    _stop_group()
    os._exit(0)


def _log_tail(lines: int = 3) -> str:
    try:
        with open(os.readlink("/proc/self/fd/2"), errors="replace") as fh:
            return " | ".join(line.strip() for line in fh.read().splitlines()[-lines:])
    except OSError:
        return ""


def _group_members(leader: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(leader)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _wait_ready(proc: subprocess.Popen[bytes], args: argparse.Namespace) -> dict[str, object] | str:
    """Poll until the stressors run (CPU) or the group's RSS reaches the target (memory)."""
    end = time.monotonic() + args.ready_timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return f"stress-ng exited with status {proc.returncode}: {_log_tail()}"
        members = _group_members(proc.pid)
        stressors = [p.pid for p in members[1:]]
        rss = sum(rss_bytes(p.pid) for p in members)
        if len(stressors) >= args.expect_stressors and rss >= 0.95 * args.target_rss:
            info: dict[str, object] = {
                "pids": [os.getpid(), proc.pid, *stressors],
                "stressng_pid": proc.pid,
                "stressor_pids": stressors,
            }
            if args.target_rss:
                info.update(rss_bytes=rss, rss_mib=round(rss / (1 << 20), 1))
            return info
        time.sleep(0.005)
    return f"stress-ng not ready after {args.ready_timeout:g} s: {_log_tail()}"


def _parse(rest: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="stressng-worker")
    parser.add_argument("--exe", required=True)
    parser.add_argument("--argv", required=True, help="JSON list of stress-ng arguments")
    parser.add_argument("--duration", type=float, default=0.0, help="seconds; 0 = until stopped")
    parser.add_argument("--expect-stressors", type=int, default=0)
    parser.add_argument("--target-rss", type=int, default=0, help="bytes")
    parser.add_argument("--ready-timeout", type=float, default=9.0)
    return parser.parse_args(list(rest))


def main(argv: Sequence[str] | None = None) -> int:
    """Start stress-ng, report ready, wait for the duration (or a stop), then kill the group."""
    global _group
    common, rest = worker_setup(argv, on_death=_stop_group)
    args = _parse(rest)
    began = time.monotonic()
    set_child_subreaper()
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    proc = subprocess.Popen(
        [f"{RECORD_FLAG}{common.chaosguard_record}", *json.loads(args.argv)],
        executable=args.exe,
        stdin=subprocess.DEVNULL,
        stdout=2,
        start_new_session=True,  # its own session: its own autogroup, at this wrapper's nice
        # PR_SET_PDEATHSIG; only a prctl call between fork and exec, safe despite the lifeline
        # thread
        preexec_fn=lambda: prctl(1, signal.SIGKILL, 0, 0, 0),
    )
    _group = proc.pid
    set_autogroup_nice(os.getpriority(os.PRIO_PROCESS, 0), proc.pid)
    signal.signal(signal.SIGTERM, _on_sigterm)
    ready = _wait_ready(proc, args)
    if isinstance(ready, str):
        report_error(ready)
        _stop_group()
        return 1
    report_ready(**ready)
    try:
        proc.wait(
            timeout=None
            if args.duration <= 0
            else max(0.0, began + args.duration - time.monotonic())
        )
    except subprocess.TimeoutExpired:
        pass
    _stop_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
