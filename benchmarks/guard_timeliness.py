"""Does the guard keep its interval while chaosguard's own stress loads the machine?

Each *jitter run* is one guarded ``chaos run`` (Chaos Toolkit 1.19, the chaosguard control, two
guards read every ``--interval`` s: ``errors``, an HTTP error ratio of a service in another process
(``source: http``, 20 samples/s, 1 s window), and ``const``, a Python source ``os:cpu_count``)::

    method:    [stress]                          # none (idle) | stress_cpu | stress_memory
               tests.guard_values.wait(seconds=S, marker=...)
    rollbacks: stop_stress

* **idle**: no stress.
* **cpu**: ``stress_cpu(workers=<usable CPUs>, load_percent=100)``: every core 100 % busy, through
  the real action and fault (workers at nice 19, as the fault starts them).
* **mem**: ``stress_memory(mib=M)`` with ``M = min(--mem-fraction × available, --mem-cap-mib)``
  (default 70 % of the memory available at the start, capped at 4 GiB: the machine is shared, and
  memory the VM never touched populates at ~4 s/GiB on a busy host).

Jitter: per guard, the readings whose read finished while the wait action ran (its marker file's
mtime to + S) are consecutive watcher ticks ``i``; planned time ``a + i·interval`` with ``a`` the
earliest-possible anchor (``min(t_i − i·interval)``), jitter = actual − planned (≥ 0; a read that
always takes the same time cancels out). p50/p99 over both guards' readings. The ``mem`` run also
reports the jitter while the memory was being populated (the record's creation to the marker).

*Revert trials* (``--trials``, under CPU stress): the same experiment with ``stress_cpu`` on every
core; once the wait started, the service flips to errors after U(0.25, 1.5) s; revert = the
cpu-stress record's ledger ``close`` − the first ``500`` the service wrote (both on this machine's
clock), counted only when the guard's breach reverted it (the journal's evidence). Target: p99 ≤
interval + 0.3 s.

Priorities: during each run the benchmark reads the nice value of every thread of the ``chaos run``
process (the guard) and of every stress worker process. Attribution of late reads: the VM's steal
time (CPU its host gave to others) and the guard process's run-queue wait (CPU its threads wanted
and did not get), both per second of the measured window, and the share of the late reads' delay
(reads 20 ms late or more) during which the host had taken the VM's CPUs (``steal late%``: ~100 =
the delay was the host's, ~0 = it happened inside the machine).

Run: ``.venv/bin/python benchmarks/guard_timeliness.py [--quick]`` (about 3 minutes; ``--quick``: a
smoke run, figures not comparable). Prints a table, then one JSON line. Asserts nothing.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import yaml
from _abort_support import SourceServer, read_ledger
from _bytecode import compile_package
from _stats import median, pct
from abort_latency import CHAOS, Run, chaos_env, http_error_guard

MIB = 1 << 20
STRESS = "chaosguard.actions.stress"


def _activity(name: str, module: str, func: str, **arguments: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": module, "func": func, "arguments": arguments}
    return {"type": "action", "name": name, "provider": provider}


def experiment(
    stress: dict[str, Any] | None, src: SourceServer, interval: float, seconds: float, marker: Path
) -> dict[str, Any]:
    """The guarded experiment: optional stress, then a long wait; ``stop_stress`` as rollback."""
    method = [_activity("stress", STRESS, stress.pop("func"), **stress)] if stress else []
    method.append(
        _activity("long-wait", "tests.guard_values", "wait", seconds=seconds, marker=str(marker))
    )
    guards = [
        http_error_guard(src.url),
        {"name": "const", "source": "python", "func": "os:cpu_count", "min": 1},
    ]
    return {
        "title": "guard timeliness",
        "description": "benchmarks/guard_timeliness.py",
        "method": method,
        "rollbacks": [_activity("stop-stress", STRESS, "stop_stress")],
        "controls": [
            {
                "name": "chaosguard",
                "provider": {"type": "python", "module": "chaosguard.safety.guard"},
            }
        ],
        "extensions": [
            {"name": "chaosguard", "guards": guards, "policy": {"guard": {"interval_s": interval}}}
        ],
    }


def start_run(tdir: Path, doc: dict[str, Any]) -> tuple[Run, Path]:
    tdir.mkdir(parents=True)
    (tdir / "experiment.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    journal = tdir / "journal.json"
    cmd = [
        CHAOS,
        "--no-version-check",
        "--no-log-file",
        "run",
        "--journal-path",
        str(journal),
        str(tdir / "experiment.yaml"),
    ]
    return Run(cmd, chaos_env(tdir / "home"), tdir), journal


def wait_for(path: Path, run: Run, timeout: float) -> float | None:
    """mtime of ``path`` once it exists (None when the run ended or the time ran out first)."""
    end = time.time() + timeout
    while time.time() < end and run.exit_at is None:
        if path.exists():
            return path.stat().st_mtime
        time.sleep(0.01)
    return path.stat().st_mtime if path.exists() else None


def loop_readings(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """The watcher loop's readings: the evidence's readings after the last preflight one (preflight
    ticks are not on the loop's grid)."""
    readings = evidence.get("readings") or []
    last = {(r["guard"], r["read_at"]) for r in evidence.get("preflight") or []}
    cut = max(
        (i + 1 for i, r in enumerate(readings) if (r["guard"], r["read_at"]) in last), default=0
    )
    return readings[cut:]


def lateness(
    readings: list[dict[str, Any]], interval: float, lo: float, hi: float
) -> list[tuple[float, float]]:
    """(read time, lateness s) of each guard's reads finished in [lo, hi], against the interval's
    grid."""
    out: list[tuple[float, float]] = []
    for guard in sorted({r["guard"] for r in readings}):
        times = sorted(
            r["read_at"] for r in readings if r["guard"] == guard and lo <= r["read_at"] <= hi
        )
        if len(times) < 2:
            continue
        anchor = min(t - i * interval for i, t in enumerate(times))
        out += [(t, t - anchor - i * interval) for i, t in enumerate(times)]
    return out


def jitter(readings: list[dict[str, Any]], interval: float, lo: float, hi: float) -> list[float]:
    """Lateness (s) of each guard's reads finished in [lo, hi] against the interval's grid."""
    return [late for _, late in lateness(readings, interval, lo, hi)]


def steal_sampler(stop: threading.Event, out: list[tuple[float, float]]) -> None:
    """Every 20 ms: (epoch s, the VM's steal time so far in CPU-seconds, all CPUs)."""
    hz = os.sysconf("SC_CLK_TCK")
    while not stop.wait(0.02):
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        out.append((time.time(), int(fields[8]) / hz))


def steal_during_late_reads(
    late: list[tuple[float, float]], steal: list[tuple[float, float]], threshold: float = 0.02
) -> float | None:
    """Share (%) of the late reads' delay during which the host had taken the VM's CPUs (steal):
    ~100 = the delay was the host's, ~0 = it was inside this machine."""
    delay = stolen = 0.0
    times = [t for t, _ in steal]
    for read_at, late_s in late:
        if late_s < threshold:
            continue
        a = bisect.bisect_left(times, read_at - late_s) - 1
        b = bisect.bisect_left(times, read_at)
        if a < 0 or b >= len(steal):
            continue
        delay += late_s
        stolen += (steal[b][1] - steal[a][1]) / (os.cpu_count() or 1)
    return None if delay == 0 else round(100 * min(1.0, stolen / delay), 1)


def _nice(pid: int | str, tid: int | str | None = None) -> int | None:
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return None
    return int(raw[raw.rfind(b")") + 2 :].split()[16])


def _autogroup(pid: int) -> int | None:
    """nice of ``pid``'s autogroup (its session's scheduling group), None without autogroups."""
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def priorities(run: Run, home: Path) -> dict[str, Any]:
    """nice of every thread of the guarded ``chaos run`` and of every stress worker process, and
    of their autogroups (with ``kernel.sched_autogroup_enabled`` the CPU is shared between
    sessions by the autogroup's nice first)."""
    pid = run.proc.pid
    try:
        threads = {t: _nice(pid, t) for t in os.listdir(f"/proc/{pid}/task")}
    except OSError:
        threads = {}
    workers: set[int] = set()
    groups: set[int | None] = set()
    for rec in read_ledger(home).values():
        if rec.kind.endswith("-stress") and rec.closed_at is None:
            for wpid in rec.handles.get("pids") or [rec.handles.get("pid")]:
                if wpid and (n := _nice(wpid)) is not None:
                    workers.add(n)
                    groups.add(_autogroup(wpid))
    return {
        "guard_thread_nice": sorted({n for n in threads.values() if n is not None}),
        "worker_nice": sorted(workers),
        "guard_autogroup_nice": _autogroup(pid),
        "worker_autogroup_nice": sorted(g for g in groups if g is not None),
    }


def counters(pid: int) -> tuple[float, float, float]:
    """(now, the host's steal time s summed over CPUs, run-queue wait s of every thread of
    ``pid``): CPU the VM lost to its host, and CPU the guard process wanted but did not get."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    steal = int(fields[8]) / os.sysconf("SC_CLK_TCK")
    wait = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                wait += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[1])
    except OSError:
        pass
    return time.monotonic(), steal, wait / 1e9


def jitter_run(
    name: str,
    stress: dict[str, Any] | None,
    src: SourceServer,
    work: Path,
    interval: float,
    seconds: float,
) -> dict[str, Any]:
    tdir = work / name
    marker = tdir / "wait-started"
    doc = experiment(dict(stress) if stress else None, src, interval, seconds, marker)
    run, journal_path = start_run(tdir, doc)
    out: dict[str, Any] = {"name": name}
    sampling = threading.Event()
    steal: list[tuple[float, float]] = []
    try:
        began = wait_for(marker, run, 120.0)
        if began is None:
            out["problem"] = f"the wait never started: {run.tail()}"
            return out
        first = counters(run.proc.pid)
        sampler = threading.Thread(target=steal_sampler, args=(sampling, steal), daemon=True)
        sampler.start()
        time.sleep(min(2.0, seconds / 3))
        out.update(priorities(run, tdir / "home"))
        time.sleep(max(0.0, began + seconds - 0.3 - time.time()))
        last = counters(run.proc.pid)
        span = last[0] - first[0]
        out["steal_pct"] = round(100 * (last[1] - first[1]) / span, 1)
        out["guard_runq_wait_ms_per_s"] = round(1000 * (last[2] - first[2]) / span, 1)
        run.finish(timeout=seconds + 60)
    finally:
        sampling.set()
        run.finish()
    journal = json.loads(journal_path.read_text())
    evidence = journal.get("chaosguard") or {}
    failed = [a for a in journal.get("run") or [] if a.get("status") != "succeeded"]
    if stress and failed:
        out["problem"] = f"the stress did not start: {str(failed[0].get('exception'))[-300:]}"
        return out
    readings = loop_readings(evidence)
    late = lateness(readings, interval, began, began + seconds)
    lat = [x for _, x in late]
    out["steal_pct_of_late_reads"] = steal_during_late_reads(late, steal)
    out.update(
        outcome=evidence.get("outcome"),
        n=len(lat),
        p50=median(lat),
        p99=pct(lat, 99),
        max=max(lat, default=None),
    )
    stress_recs = [r for r in read_ledger(tdir / "home").values() if r.kind.endswith("-stress")]
    if stress_recs:
        rec = stress_recs[0]
        out["rss_mib"] = rec.handles.get("rss_mib")
        alloc = jitter(readings, interval, rec.created_at, began)
        out.update(
            alloc_s=round(began - rec.created_at, 2), alloc_n=len(alloc), alloc_p99=pct(alloc, 99)
        )
    return out


def revert_trial(
    n: int, src: SourceServer, work: Path, interval: float, workers: int, rng: random.Random
) -> dict[str, Any]:
    tdir = work / f"revert-{n:02d}"
    marker = tdir / "wait-started"
    stress = {"func": "stress_cpu", "workers": workers, "load_percent": 100}
    src.reset()
    run, journal_path = start_run(tdir, experiment(stress, src, interval, 60, marker))
    try:
        if wait_for(marker, run, 60.0) is None:
            return {"problem": f"the wait never started: {run.tail()}"}
        time.sleep(rng.uniform(0.25, 1.5))
        src.flip("http")
        run.finish(timeout=30)
    finally:
        run.finish()
    state = src.state()
    journal = json.loads(journal_path.read_text())
    breach = (journal.get("chaosguard") or {}).get("breach") or {}
    recs = [r for r in read_ledger(tdir / "home").values() if r.kind == "cpu-stress"]
    by_guard = {r.get("record") for r in breach.get("reverted") or []}
    if not recs or recs[0].id not in by_guard or not recs[0].closed_at:
        return {"problem": f"the guard did not revert the stress (breach: {breach})"}
    if state["first_bad_http_at"] is None:
        return {"problem": "no bad answer was served"}
    detect = breach.get("observed_at")
    return {
        "revert": recs[0].closed_at - state["first_bad_http_at"],
        "detect": None if detect is None else detect - state["first_bad_http_at"],
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run (figures not comparable)")
    ap.add_argument("--interval", type=float, default=0.5, help="guard interval_s (default 0.5)")
    ap.add_argument("--seconds", type=float, default=30.0, help="stressed wait per jitter run")
    ap.add_argument("--trials", type=int, default=10, help="revert trials under CPU stress")
    ap.add_argument("--mem-fraction", type=float, default=0.7, help="of available memory")
    ap.add_argument("--mem-cap-mib", type=int, default=4096, help="most MiB the mem run holds")
    args = ap.parse_args()
    compile_package()  # start-up as installed (see _bytecode), not the compiler
    if args.quick:
        args.seconds, args.trials, args.mem_cap_mib = 6.0, 2, min(args.mem_cap_mib, 1024)
    cpus = len(os.sched_getaffinity(0))
    available = psutil.virtual_memory().available // MIB
    mem_mib = int(min(args.mem_fraction * available, args.mem_cap_mib))
    work = Path(tempfile.mkdtemp(prefix="cg-timeliness-"))
    load_start = [round(x, 2) for x in os.getloadavg()]
    print(
        f"{cpus} CPUs, {available} MiB available; memory stress {mem_mib} MiB; interval "
        f"{args.interval:g} s; load average {load_start}; work dir {work}",
        flush=True,
    )
    src = SourceServer(user_rps=40.0).start()
    rng = random.Random()
    runs: dict[str, dict[str, Any]] = {}
    reverts: list[dict[str, Any]] = []
    try:
        plans = {
            "idle": None,
            "cpu": {"func": "stress_cpu", "workers": cpus, "load_percent": 100},
            "mem": {"func": "stress_memory", "mib": mem_mib},
        }
        for name, stress in plans.items():
            runs[name] = r = jitter_run(name, stress, src, work, args.interval, args.seconds)
            print(f"{name:>5}: {json.dumps(r)}", flush=True)
        for n in range(args.trials):
            reverts.append(t := revert_trial(n, src, work, args.interval, cpus, rng))
            print(f"revert {n}: {json.dumps(t)}", flush=True)
    finally:
        src.stop()
    load_end = [round(x, 2) for x in os.getloadavg()]
    print(
        f"\n{'condition':<10} {'reads':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'steal %':>7} {'steal late%':>11} {'runq ms/s':>9}  priorities"
    )
    for name, r in runs.items():
        prio = (
            f"guard threads nice {r.get('guard_thread_nice')} (autogroup "
            f"{r.get('guard_autogroup_nice')}), workers {r.get('worker_nice')} (autogroup "
            f"{r.get('worker_autogroup_nice')})"
        )
        print(
            f"{name:<10} {r.get('n', 0):>5} {_ms(r.get('p50'))!s:>7} {_ms(r.get('p99'))!s:>7} "
            f"{_ms(r.get('max'))!s:>7} {r.get('steal_pct')!s:>7} "
            f"{r.get('steal_pct_of_late_reads')!s:>11} "
            f"{r.get('guard_runq_wait_ms_per_s')!s:>9}  {prio}  {r.get('problem', '')}"
        )
    ok = [t["revert"] for t in reverts if "revert" in t]
    detects = [t["detect"] for t in reverts if t.get("detect") is not None]
    print(
        f"revert under CPU stress: {len(ok)}/{len(reverts)} trials reverted by the guard; "
        f"p50 {median(ok)} s, p99 {pct(ok, 99)} s (target ≤ {args.interval + 0.3:g} s); "
        f"detection p50 {median(detects)} s"
    )
    print(f"load average start {load_start}, end {load_end}")
    summary = {
        "jitter_p99_ms_idle": _ms(runs["idle"].get("p99")),
        "jitter_p99_ms_cpu_stress": _ms(runs["cpu"].get("p99")),
        "jitter_p99_ms_mem_stress": _ms(runs["mem"].get("p99")),
        "revert_p99_s_cpu_stress": None if not ok else round(pct(ok, 99) or 0.0, 3),
        "jitter_p50_ms_idle": _ms(runs["idle"].get("p50")),
        "jitter_p50_ms_cpu_stress": _ms(runs["cpu"].get("p50")),
        "jitter_p50_ms_mem_stress": _ms(runs["mem"].get("p50")),
        "jitter_p99_ms_mem_populating": _ms(runs["mem"].get("alloc_p99")),
        "revert_p50_s_cpu_stress": None if not ok else round(median(ok) or 0.0, 3),
        "revert_trials": len(reverts),
        "revert_ok": len(ok),
        "interval_s": args.interval,
        "mem_stress_mib": mem_mib,
        "steal_pct": {k: r.get("steal_pct") for k, r in runs.items()},
        "steal_pct_of_late_reads": {k: r.get("steal_pct_of_late_reads") for k, r in runs.items()},
        "guard_runq_wait_ms_per_s": {k: r.get("guard_runq_wait_ms_per_s") for k, r in runs.items()},
        "problems": {k: r["problem"][:200] for k, r in runs.items() if "problem" in r},
        "guard_thread_nice_cpu_stress": runs["cpu"].get("guard_thread_nice"),
        "worker_nice_cpu_stress": runs["cpu"].get("worker_nice"),
        "guard_autogroup_nice_cpu_stress": runs["cpu"].get("guard_autogroup_nice"),
        "worker_autogroup_nice_cpu_stress": runs["cpu"].get("worker_autogroup_nice"),
        "loadavg_start": load_start,
        "loadavg_end": load_end,
        "quick": args.quick,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
