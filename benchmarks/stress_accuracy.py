"""How exactly does chaosguard's stress hit its targets? Side by side with stress-ng, same
measurements.

Prints figures, asserts nothing. The last line is one JSON object (machine-readable summary).

* CPU: 2 workers at 25/50/75/100 %, builtin (closed loop) vs stress-ng ``--cpu 2 --cpu-load L``
  (through chaosguard's stress-ng backend: same nice 19, same wrapper). Achieved = the fault's
  processes' own CPU time from ``/proc/<pid>/schedstat`` (ns) per worker over the window after
  settling; settle = end of the first 1 s moving-average window after which every later one stays
  within ±2 pp (1.0 s = settled at once, by construction). Repeated with a competing busy process at
  nice 0; with one core taken by it, 2 workers can get at most ``100·(cpus-1)/2`` % each, so levels
  above that are reported, not scored. "wait" is the run-queue wait (CPU the workers wanted and the
  scheduler gave to others; both tools run at nice 19); ``*_when_cpu_available`` scores only levels
  where it stayed under 10 %.
* Memory 512 MiB: time from the call to the target being resident, and the error; vs stress-ng
  ``--vm 1 --vm-bytes 512M --vm-keep`` with and without ``--vm-populate`` (started directly, RSS
  polled every 2 ms). "warm" trials first allocate and free 1 GiB, so that memory the micro-VM's
  balloon has handed back to the host does not skew the figure; "cold" trials start after 3 s idle.
* Priority: 2 builtin workers asked for 75 % next to one busy nice-0 process, once with ``priority:
  background`` (nice 19, the default) and once with ``priority: normal`` (the runner's nice, 0
  here), started through the fault contract with the spec's ``priority``; achieved % per worker and
  the competing process's %.
* Stop: revert call → every process of the fault gone.

Run: ``.venv/bin/python benchmarks/stress_accuracy.py`` (about 3 minutes; ``--quick`` or
``STRESS_BENCH_QUICK=1``: a one-minute smoke run of the script, figures not comparable;
``--memory``: the memory section alone, 5 trials per mode, about 1.5 minutes; with ``--quick`` 1).
"""

from __future__ import annotations

import bisect
import json
import mmap
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_policy import allow_unguarded_actions
from _bytecode import compile_package

from chaosguard import faults
from chaosguard.actions.stress import stop_stress, stress_cpu, stress_memory
from chaosguard.faults.stress.spec import CpuStressSpec

# chaosguard reads its state directory when a fault starts, not at import
os.environ.setdefault("CHAOSGUARD_HOME", tempfile.mkdtemp(prefix="chaosguard-stress-bench-"))
allow_unguarded_actions()

MIB = 1 << 20
LEVELS = (25, 50, 75, 100)
WORKERS = 2
RUN_S, MEASURE_FROM_S, SAMPLE_S, BAND_PP = 8.0, 3.0, 0.05, 2.0
Results = dict[tuple[str, int], dict[str, Any]]  # (backend, level) -> figures
MEM_TRIALS = 3
PRIORITY_LEVEL = 75
MEMORY_ONLY = "--memory" in sys.argv[1:]
if MEMORY_ONLY:
    MEM_TRIALS = 5
if os.environ.get("STRESS_BENCH_QUICK") or "--quick" in sys.argv[1:]:  # a smoke run (~1 minute)
    RUN_S, MEASURE_FROM_S, MEM_TRIALS = 3.0, 1.5, 1


# -- measuring -------------------------------------------------------------------------------------
def sched_ns(pid: int) -> tuple[int, int]:
    """(CPU time, run-queue wait) of a process in ns, from ``/proc/<pid>/schedstat`` ((0, 0) if
    gone)."""
    try:
        with open(f"/proc/{pid}/schedstat") as fh:
            run, wait = fh.read().split()[:2]
            return int(run), int(wait)
    except (OSError, ValueError):
        return 0, 0


def cpu_ns(pid: int) -> int:
    """A process's CPU time in ns."""
    return sched_ns(pid)[0]


def gone(pids: list[int]) -> bool:
    """Every pid exited (a zombie counts as gone)."""
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            pass
    return True


def sample_cpu(pids: list[int], seconds: float) -> list[tuple[float, float, float]]:
    """(t, cumulative CPU s, cumulative run-queue wait s of ``pids``) every SAMPLE_S for
    ``seconds``."""
    start = time.monotonic()
    out, nxt = [], start
    while True:
        now = time.monotonic()
        figures = [sched_ns(p) for p in pids]
        out.append(
            (now - start, sum(f[0] for f in figures) / 1e9, sum(f[1] for f in figures) / 1e9)
        )
        if now - start >= seconds:
            return out
        nxt += SAMPLE_S
        time.sleep(max(0.0, nxt - time.monotonic()))


def analyse(samples: list[tuple[float, float, float]], target: float) -> dict[str, Any]:
    """Achieved % per worker after settling, the 1 s moving average's range, and the settle time."""

    def pct(a: tuple[float, ...], b: tuple[float, ...], col: int = 1) -> float:
        return 100 * (b[col] - a[col]) / (b[0] - a[0]) / WORKERS

    times = [s[0] for s in samples]
    first = bisect.bisect_left(times, MEASURE_FROM_S)
    achieved = pct(samples[first], samples[-1])
    waited = pct(samples[first], samples[-1], col=2)
    windows = []  # (end time, 1 s moving average ending there)
    for i, (t, *_) in enumerate(samples):
        if t >= 1.0:
            j = bisect.bisect_right(times, t - 1.0) - 1  # the last sample at least 1 s earlier
            windows.append((t, pct(samples[j], samples[i])))
    settle = None
    for k in range(len(windows)):
        if all(abs(w - target) <= BAND_PP for _, w in windows[k:]):
            settle = windows[k][0]
            break
    later = [w for t, w in windows if t >= MEASURE_FROM_S]
    return {
        "achieved": achieved,
        "err": achieved - target,
        "settle": settle,
        "wait": waited,
        "ma_min": min(later),
        "ma_max": max(later),
    }


def timed_stop(pids: list[int]) -> float:
    """Seconds from the revert call until every pid is gone."""
    start = time.monotonic()
    stop_stress()
    while not gone(pids):
        time.sleep(0.001)
    return time.monotonic() - start


# -- CPU -------------------------------------------------------------------------------------------
def cpu_run(level: int, backend: str) -> dict[str, Any]:
    stress_cpu(workers=WORKERS, load_percent=level, backend=backend)
    (record,) = faults.open_records("cpu-stress")
    pids = record.handles["pids"]
    result = analyse(sample_cpu(pids, RUN_S), level)
    result["stop"] = timed_stop(pids)
    return result


def start_hog() -> subprocess.Popen[bytes]:
    """One busy process at nice 0 (the competing load)."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def cpu_section(backends: list[str], loaded: bool) -> Results:
    results = {}
    for level in LEVELS:
        for backend in backends:
            hog = start_hog() if loaded else None
            try:
                if hog:
                    time.sleep(0.3)
                    hog_before, hog_t = cpu_ns(hog.pid), time.monotonic()
                results[(backend, level)] = res = cpu_run(level, backend)
                if hog:
                    res["hog"] = (
                        100 * (cpu_ns(hog.pid) - hog_before) / 1e9 / (time.monotonic() - hog_t)
                    )
            finally:
                if hog:
                    hog.kill()
                    hog.wait()
    return results


def priority_section() -> dict[str, dict[str, Any]]:
    """2 builtin workers at PRIORITY_LEVEL % next to one busy nice-0 process, per priority."""
    out = {}
    for priority in ("background", "normal"):
        hog = start_hog()
        try:
            time.sleep(0.3)
            hog_before, hog_t = cpu_ns(hog.pid), time.monotonic()
            spec = CpuStressSpec(workers=WORKERS, load_percent=PRIORITY_LEVEL, priority=priority)
            record = faults.inject("cpu-stress", spec)
            pids = record.handles["pids"]
            res = analyse(sample_cpu(pids, RUN_S), PRIORITY_LEVEL)
            res["hog"] = 100 * (cpu_ns(hog.pid) - hog_before) / 1e9 / (time.monotonic() - hog_t)
            res["nice"] = sorted({psutil.Process(p).nice() for p in record.handles["busy_pids"]})
            res["stop"] = timed_stop(pids)
            out[priority] = res
        finally:
            hog.kill()
            hog.wait()
    return out


# -- memory ----------------------------------------------------------------------------------------
def prewarm(mib: int = 1024) -> None:
    """Allocate and free memory so the next allocation finds host-backed pages (see module doc)."""
    block = mmap.mmap(
        -1, mib * MIB, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE
    )
    block.close()


def mem_builtin() -> dict[str, Any]:
    start = time.monotonic()
    out = stress_memory(512)
    elapsed = time.monotonic() - start
    (record,) = faults.open_records("memory-stress")
    rss = psutil.Process(out["pids"][0]).memory_info().rss / MIB
    return {
        "t": elapsed,
        "rss": rss,
        "held": record.handles["held_mib"],
        "populate": record.handles["populate_s"],
        "threads": record.handles.get("populate_threads", 1),
        "huge": record.handles.get("huge_pages"),
        "stop": timed_stop(out["pids"]),
    }


def mem_stressng(populate: bool) -> dict[str, Any]:
    """stress-ng started directly; time until its stressor's RSS reaches 99 % of 512 MiB."""
    argv = ["stress-ng", "--vm", "1", "--vm-bytes", "512M", "--vm-keep", "--timeout", "0"]
    argv += ["--vm-populate"] if populate else []
    start = time.monotonic()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=0
    )
    reached, rss = None, 0.0
    try:
        while time.monotonic() - start < 5.0:
            try:
                members = psutil.Process(proc.pid).children(recursive=True)
                rss = max([m.memory_info().rss for m in members] or [0]) / MIB
            except psutil.Error:
                pass
            if rss >= 0.99 * 512:
                reached = time.monotonic() - start
                break
            time.sleep(0.002)
        time.sleep(0.3)
        members = psutil.Process(proc.pid).children(recursive=True)
        rss = max([m.memory_info().rss for m in members] or [0]) / MIB
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
    return {"t": reached, "rss": rss}


def mem_section(trials: int = MEM_TRIALS) -> dict[str, dict[str, list[dict[str, Any]]]]:
    tools: dict[str, Callable[[], dict[str, Any]]] = {"builtin": mem_builtin}
    if shutil.which("stress-ng"):
        tools["stress-ng --vm-populate"] = lambda: mem_stressng(True)
        tools["stress-ng (no populate)"] = lambda: mem_stressng(False)
    out: dict[str, dict[str, list[dict[str, Any]]]] = {"warm": {}, "cold": {}}
    for mode in ("warm", "cold"):
        for _ in range(trials):
            for name, fn in tools.items():
                if mode == "warm":
                    prewarm()
                else:
                    time.sleep(3.0)
                out[mode].setdefault(name, []).append(fn())
    return out


# -- report ----------------------------------------------------------------------------------------
def fmt(value: float | None, spec: str = "6.2f") -> str:
    return "   n/a" if value is None else format(value, spec)


def contention() -> str:
    go = subprocess.run(
        ["pgrep", "-f", "go build|/compile"], capture_output=True, check=False
    ).stdout.split()
    load1 = os.getloadavg()[0]
    return (
        f"{len(go)} go build/compile processes, load average {load1:.2f} on {os.cpu_count()} CPUs"
    )


def print_cpu(title: str, res: Results, backends: list[str], cap: float) -> None:
    print(f"\n{title}  (per worker; wait = run-queue wait: CPU wanted but given to others)")
    print(f"{'target %':>8} | " + " | ".join(f"{b:^51}" for b in backends))
    head = (
        f"{'achieved':>8} {'err pp':>6} {'1s-MA range':>13} {'settle s':>8} {'wait %':>6} "
        f"{'hog %':>5}"
    )
    print(f"{'':>8} | " + " | ".join(head for _ in backends))
    for level in LEVELS:
        cells = []
        for b in backends:
            r = res[(b, level)]
            cells.append(
                f"{r['achieved']:8.2f} {r['err']:+6.2f} {r['ma_min']:6.1f}-{r['ma_max']:<6.1f} "
                f"{fmt(r['settle'], '8.2f')} {r['wait']:6.1f} {fmt(r.get('hog'), '5.0f')}"
            )
        note = "" if level <= cap else f"   (above the {cap:.0f} % a worker can get)"
        print(f"{level:>8} | " + " | ".join(cells) + note)


def print_memory(mem: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    print(
        f"\nMemory 512 MiB (median of {MEM_TRIALS}; RSS = whole process, held = the mapping itself)"
    )
    print(
        f"{'tool':<26} {'mode':<5} {'to target s':>11} {'min-max':>13} {'RSS MiB':>8} {'err %':>6} "
        f"{'populate s':>10}"
    )
    for mode in ("warm", "cold"):
        for name, runs in mem[mode].items():
            ts = [r["t"] for r in runs if r["t"] is not None]
            rss = statistics.median(r["rss"] for r in runs)
            pop = statistics.median(r["populate"] for r in runs) if "populate" in runs[0] else None
            print(
                f"{name:<26} {mode:<5} {fmt(statistics.median(ts) if ts else None, '11.3f')} "
                f"{fmt(min(ts) if ts else None, '6.3f')}-{fmt(max(ts) if ts else None, '<6.3f')} "
                f"{rss:8.1f} {100 * (rss - 512) / 512:+6.1f} {fmt(pop, '10.3f')}"
            )
    held = statistics.median(r["held"] for r in mem["warm"]["builtin"])
    startup = statistics.median(r["t"] - r["populate"] for r in mem["warm"]["builtin"])
    threads = statistics.median(r["threads"] for r in mem["warm"]["builtin"])
    print(
        f"builtin: mapping resident (its own pages, mincore) {held:.1f} MiB; populated by "
        f"{threads:g} thread(s); time outside the populate (worker start, Python imports, ready "
        f"report) {startup:.3f} s (median, warm)"
    )


def memory_summary(mem: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """The memory figures of the JSON summary."""
    warm = mem["warm"]["builtin"]
    held = statistics.median(r["held"] for r in warm)
    summary: dict[str, Any] = {
        "mem_error_pct": round(100 * (statistics.median(r["rss"] for r in warm) - 512) / 512, 2),
        "mem_held_error_pct": round(100 * (held - 512) / 512, 2),
        "mem_time_to_target_s": round(statistics.median(r["t"] for r in warm), 3),
        "mem_time_to_target_cold_s": round(
            statistics.median(r["t"] for r in mem["cold"]["builtin"]), 3
        ),
        "mem_populate_s": round(statistics.median(r["populate"] for r in warm), 3),
        "mem_populate_threads": statistics.median(r["threads"] for r in warm),
        "mem_huge_pages": any(r["huge"] for r in warm),
        "mem_worker_startup_s": round(statistics.median(r["t"] - r["populate"] for r in warm), 3),
    }
    if "stress-ng --vm-populate" in mem["warm"]:
        sng = [r["t"] for r in mem["warm"]["stress-ng --vm-populate"] if r["t"] is not None]
        keep = [r["t"] for r in mem["warm"]["stress-ng (no populate)"] if r["t"] is not None]
        summary["stressng_mem_populate_time_to_target_s"] = (
            round(statistics.median(sng), 3) if sng else None
        )
        summary["stressng_mem_keep_time_to_target_s"] = (
            round(statistics.median(keep), 3) if keep else None
        )
    return summary


def memory_main() -> None:
    """``--memory``: the memory section alone (and its stop times)."""
    before = contention()
    print(f"chaosguard memory stress — {os.cpu_count()} CPUs; at start: {before}")
    mem = mem_section()
    after = contention()
    print_memory(mem)
    stops = [r["stop"] for mode in ("warm", "cold") for r in mem[mode]["builtin"]]
    print(
        f"\nStop (revert call → all processes gone), seconds: builtin memory median "
        f"{statistics.median(stops):.3f} max {max(stops):.3f}"
    )
    print(f"Contention at end: {after}")
    summary = memory_summary(mem)
    summary.update(
        {"stop_s": round(max(stops), 3), "contention_start": before, "contention_end": after}
    )
    print(json.dumps(summary))


def main() -> None:
    compile_package()  # worker start-up as installed (see _bytecode), not the compiler
    backends = ["builtin"] + (["stress-ng"] if shutil.which("stress-ng") else [])
    before = contention()
    print(f"chaosguard stress accuracy — {os.cpu_count()} CPUs; at start: {before}")
    quiet = cpu_section(backends, loaded=False)
    cap = min(100.0, 100.0 * ((os.cpu_count() or 1) - 1) / WORKERS)
    loaded = cpu_section(backends, loaded=True)
    prio = priority_section()
    mem = mem_section()
    after = contention()

    print_cpu("CPU, 2 workers at nice 19, no competing load added", quiet, backends, 100.0)
    print_cpu("CPU, 2 workers at nice 19, with one busy process at nice 0", loaded, backends, cap)

    print(
        f"\nPriority: 2 builtin workers asked for {PRIORITY_LEVEL} % next to one busy nice-0 "
        "process"
    )
    for name, r in prio.items():
        print(
            f"  {name:<10} nice {r['nice']}: achieved {r['achieved']:6.2f} % per worker "
            f"(wait {r['wait']:5.1f} %), competing process {r['hog']:5.1f} %"
        )

    print_memory(mem)

    stops = {
        b: [quiet[(b, lv)]["stop"] for lv in LEVELS] + [loaded[(b, lv)]["stop"] for lv in LEVELS]
        for b in backends
    }
    mem_stops = [r["stop"] for mode in ("warm", "cold") for r in mem[mode]["builtin"]]
    print(
        "\nStop (revert call → all processes gone), seconds: "
        + "; ".join(
            f"{b} CPU median {statistics.median(v):.3f} max {max(v):.3f}" for b, v in stops.items()
        )
        + f"; builtin memory median {statistics.median(mem_stops):.3f} max {max(mem_stops):.3f}"
    )
    print(f"Contention at end: {after}")

    def worst(res: Results, b: str, top: float = 100.0) -> float:
        return round(max(abs(res[(b, lv)]["err"]) for lv in LEVELS if lv <= top), 2)

    def available(res: Results, b: str) -> tuple[float | None, list[int]]:
        """Worst error over the levels where the workers waited < 10 % for a CPU (capacity
        existed)."""
        rows = [lv for lv in LEVELS if res[(b, lv)]["wait"] < 10.0]
        worst_err = max((abs(res[(b, lv)]["err"]) for lv in rows), default=None)
        return (None if worst_err is None else round(worst_err, 2)), rows

    def slowest(res: Results, b: str, top: float = 100.0) -> float | None:
        settles = [res[(b, lv)]["settle"] for lv in LEVELS if lv <= top]
        return None if None in settles else round(max(s for s in settles if s is not None), 2)

    free_err, free_rows = available(quiet, "builtin")
    summary: dict[str, Any] = {
        "cpu_max_abs_error_pp": worst(quiet, "builtin"),
        "cpu_settle_s": slowest(quiet, "builtin"),
        "cpu_max_abs_error_pp_when_cpu_available": free_err,
        "cpu_levels_with_cpu_available": free_rows,
        "cpu_loaded_max_abs_error_pp": worst(loaded, "builtin", cap),
        "cpu_loaded_settle_s": slowest(loaded, "builtin", cap),
        **memory_summary(mem),
        "stop_s": round(max(stops["builtin"] + mem_stops), 3),
        "loaded_capacity_pct": cap,
        "priority_background_75_pct": round(prio["background"]["achieved"], 2),
        "priority_normal_75_pct": round(prio["normal"]["achieved"], 2),
        "priority_background_hog_pct": round(prio["background"]["hog"], 1),
        "priority_normal_hog_pct": round(prio["normal"]["hog"], 1),
        "contention_start": before,
        "contention_end": after,
    }
    if "stress-ng" in backends:
        summary.update(
            {
                "stressng_cpu_max_abs_error_pp": worst(quiet, "stress-ng"),
                "stressng_cpu_settle_s": slowest(quiet, "stress-ng"),
                "stressng_cpu_max_abs_error_pp_when_cpu_available": available(quiet, "stress-ng")[
                    0
                ],
                "stressng_cpu_levels_with_cpu_available": available(quiet, "stress-ng")[1],
                "stressng_cpu_loaded_max_abs_error_pp": worst(loaded, "stress-ng", cap),
                "stressng_stop_s": round(max(stops["stress-ng"]), 3),
            }
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
    elif MEMORY_ONLY:
        memory_main()
    else:
        main()
