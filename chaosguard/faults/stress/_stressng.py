"""The optional ``stress-ng`` backend, runner side: command lines and the wrapper that runs them.

stress-ng is never started directly by the runner. A small Python wrapper (:mod:`._stressng_worker`)
holds the lifeline, starts stress-ng in its own session (its own process group, and its own
autogroup at the stress's nice), adopts its grandchildren (child subreaper) and kills the whole
group when it is stopped, when ``duration_s`` ends, or when the runner dies. stress-ng's main
process carries ``--chaosguard-record=<id>`` as its ``argv[0]`` so ``terminate_record`` finds it
even without the wrapper; it also dies with the wrapper (``PR_SET_PDEATHSIG``), and stress-ng stops
its own stressors when their parent dies.
"""

from __future__ import annotations

import json
from typing import Any

from chaosguard.errors import InjectionError
from chaosguard.faults.stress.spec import stressng_path
from chaosguard.faults.workers import spawn_worker
from chaosguard.ledger.store import FaultRecord

__all__ = ["cpu_argv", "memory_argv", "spawn"]

WRAPPER = "chaosguard.faults.stress._stressng_worker"


def cpu_argv(workers: int, load_percent: float) -> list[str]:
    """``stress-ng`` arguments for ``workers`` CPU stressors at ``load_percent`` (whole percent)."""
    load = min(100, max(1, round(load_percent)))
    return ["--cpu", str(workers), "--cpu-load", str(load), "--timeout", "0"]


def memory_argv(mib: int) -> list[str]:
    """``stress-ng`` arguments for one VM stressor holding ``mib`` MiB (populated, kept mapped)."""
    return ["--vm", "1", "--vm-bytes", f"{mib}M", "--vm-keep", "--vm-populate", "--timeout", "0"]


def spawn(
    record: FaultRecord,
    argv: list[str],
    *,
    nice: int,
    duration_s: float = 0.0,
    expect_stressors: int = 0,
    target_rss: int = 0,
    ready_timeout: float = 10.0,
) -> dict[str, Any]:
    """Run ``stress-ng argv`` under the wrapper; ready once the stressors run / the RSS is there."""
    exe = stressng_path()
    if exe is None:
        raise InjectionError("stress-ng is not installed (not found on PATH)")
    args = [
        "--exe",
        exe,
        "--duration",
        repr(duration_s),
        "--expect-stressors",
        str(expect_stressors),
        "--target-rss",
        str(target_rss),
        "--ready-timeout",
        repr(max(1.0, ready_timeout - 1.0)),
        "--argv",
        json.dumps(argv),
    ]
    return spawn_worker(record, WRAPPER, args, nice=nice, ready_timeout=ready_timeout)
