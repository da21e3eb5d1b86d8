"""Start-up overhead of the guard: plain vs guarded ``chaos run`` of a trivial experiment.

Both variants run one ``os.path.exists`` probe through the real ``chaos run`` (Chaos Toolkit 1.19).
The guarded one adds the ``chaosguard.safety.guard`` control and a Python guard reading a constant
(``func: os:cpu_count``, ``min: 1``), so the whole guard runs: policy resolution and validation,
preflight, the run's ledger and scope lock, the first readings, the watcher thread, the aftermath,
the evidence and the journal's publication. The operator policy (``$CHAOSGUARD_POLICY``) allows the
``os`` guard module and nothing else. Each run has its own ``CHAOSGUARD_HOME``.

Three more variants put the ratio in context (same rounds, same order rules):

- ``plain-no-final-gc``: the plain run with the one thing the guard does to the whole process at
  exit (``chaosguard.guard.exit``: the interpreter's final garbage collection is skipped), added
  by a ``sitecustomize``. ``overhead_ratio_same_exit`` = guarded / this: the guard's own cost,
  without the part of its gain that a plain run could have too.
- ``plain-action`` and ``guarded-action``: both also hold 16 MiB of memory stress
  (``chaosguard.actions.stress.stress_memory``, stopped by a rollback), the plain one under an
  operator policy that allows unguarded runs. ``action_overhead_ratio``: what the guard adds to a
  run that uses chaosguard anyway (its action loads the policy, pydantic and the ledger either way);
  ``action_overhead_ratio_same_exit`` against ``plain-action-no-final-gc``.

Runs are interleaved (each round runs every variant in a shuffled order) after two warm-up rounds,
so a busy machine slows all alike and the ratios stay meaningful; the absolute times do not.

``--importtime`` also runs plain and guarded once under ``python -X importtime`` and prints the
modules only the guarded run imports, by cumulative time (the table of ``docs/benchmarks.md``).
``--instructions`` also counts the instructions of one plain, guarded and plain-no-final-gc run
under valgrind's callgrind (``instructions_m``, ``instructions_ratio``,
``instructions_ratio_same_exit``): deterministic to ~0.1 %, the figure to compare two versions by
on a machine whose wall times move.

Run: ``.venv/bin/python benchmarks/startup_overhead.py [--runs 30] [--quick] [--importtime]
[--instructions]``.
Prints a table, then one JSON line last: ``overhead_ratio`` (median guarded / median plain wall
time), ``plain_s_median``, ``guarded_s_median``, the p90s, the run count, the same ratio of the
runs' CPU time (user + system, from ``getrusage``: ``cpu_overhead_ratio``), which a busy machine
disturbs much less than wall time, and the context ratios above with their medians.
Never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _bytecode import compile_package
from _stats import pct

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CHAOS = str(VENV_BIN / "chaos")

PROBE = {
    "type": "probe",
    "name": "exists",
    "provider": {
        "type": "python",
        "module": "os.path",
        "func": "exists",
        "arguments": {"path": "/"},
    },
}
PLAIN = {"title": "trivial", "description": "start-up overhead", "method": [PROBE]}
GUARDED = {
    **PLAIN,
    "controls": [
        {"name": "chaosguard", "provider": {"type": "python", "module": "chaosguard.safety.guard"}}
    ],
    "extensions": [
        {
            "name": "chaosguard",
            "guards": [{"name": "constant", "source": "python", "func": "os:cpu_count", "min": 1}],
        }
    ],
}
#: The operator's policy: the guard's python module is allowed, nothing else is loosened.
OPERATOR_POLICY = {"guard": {"python_modules": ["os"]}}
#: The action pair's: the same, and the plain run's stress is not refused for being unguarded.
ACTION_POLICY = {**OPERATOR_POLICY, "allow_unguarded": True}
STRESS = {
    "type": "action",
    "name": "hold-16-mib",
    "provider": {
        "type": "python",
        "module": "chaosguard.actions.stress",
        "func": "stress_memory",
        "arguments": {"mib": 16},
    },
}
STOP = {
    "type": "action",
    "name": "stop-stress",
    "provider": {"type": "python", "module": "chaosguard.actions.stress", "func": "stop_stress"},
}
#: What ``chaosguard.guard.exit`` does at a guarded run's exit, for the plain run to do too.
NO_FINAL_GC = "import atexit, gc\natexit.register(gc.freeze)\n"
DOCS = {
    "plain": PLAIN,
    "guarded": GUARDED,
    "plain-action": {**PLAIN, "method": [STRESS, PROBE], "rollbacks": [STOP]},
    "guarded-action": {**GUARDED, "method": [STRESS, PROBE], "rollbacks": [STOP]},
}
VARIANTS = (
    "plain",
    "guarded",
    "plain-no-final-gc",
    "plain-action",
    "guarded-action",
    "plain-action-no-final-gc",
)


class Bench:
    """The experiment files and one ``chaos run`` per call, each with its own home."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.problems: list[str] = []
        self.policy = work / "operator-policy.json"
        self.policy.write_text(json.dumps(OPERATOR_POLICY))
        self.action_policy = work / "action-policy.json"
        self.action_policy.write_text(json.dumps(ACTION_POLICY))
        for name, doc in DOCS.items():
            # JSON is valid YAML: Chaos Toolkit reads it as the .json it is
            (work / f"{name}.json").write_text(json.dumps(doc))
        self.site = work / "site"
        self.site.mkdir()
        (self.site / "sitecustomize.py").write_text(NO_FINAL_GC)
        self._n = 0

    def env(self, name: str, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("CHAOSGUARD_POLICY", "PYTHONPATH")}
        path = [str(self.site), str(ROOT)] if name.endswith("-no-final-gc") else [str(ROOT)]
        env.update(
            CHAOSGUARD_POLICY=str(self.action_policy if "action" in name else self.policy),
            CHAOSGUARD_HOME=str(home),
            PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            PYTHONPATH=os.pathsep.join(path),
        )
        return env

    def command(
        self, name: str, journal: Path, python_flags: list[str], wrapper: list[str]
    ) -> list[str]:
        run = ["--no-version-check", "--no-log-file", "run", "--journal-path", str(journal)]
        run.append(str(self.work / f"{name.replace('-no-final-gc', '')}.json"))
        if python_flags or wrapper:
            return [*wrapper, sys.executable, *python_flags, CHAOS, *run]
        return [CHAOS, *run]

    def once(
        self, name: str, python_flags: list[str] | None = None, wrapper: list[str] | None = None
    ) -> tuple[float, float, str]:
        """Wall time and CPU time (user + system) of one ``chaos run`` of ``name`` (under
        ``wrapper``, a command, if given), and its stderr; a failed run is a problem."""
        self._n += 1
        home = self.work / f"home-{self._n}"
        home.mkdir()
        journal = home / "journal.json"
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(
            self.command(name, journal, python_flags or [], wrapper or []),
            env=self.env(name, home),
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
        elapsed = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        data = json.loads(journal.read_text()) if journal.exists() else {}
        guarded = name.startswith("guarded")
        outcome = (data.get("chaosguard") or {}).get("outcome") if guarded else "met"
        failed = [
            r for r in data.get("run", []) + data.get("rollbacks", []) if r["status"] != "succeeded"
        ]
        if proc.returncode != 0 or outcome != "met" or data.get("status") != "completed" or failed:
            tail = proc.stderr[-300:] if python_flags is None and wrapper is None else ""
            self.problems.append(f"{name}: rc {proc.returncode}, outcome {outcome}: {tail}")
        shutil.rmtree(home, ignore_errors=True)
        return elapsed, cpu, proc.stderr


IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def imports(stderr: str) -> dict[str, tuple[int, int]]:
    """Module → (self µs, cumulative µs) from ``-X importtime`` output."""
    out: dict[str, tuple[int, int]] = {}
    for line in stderr.splitlines():
        m = IMPORT_LINE.match(line)
        if m:
            out[m.group(4)] = (int(m.group(1)), int(m.group(2)))
    return out


CALLGRIND = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(bench: Bench) -> dict[str, int] | None:
    """Instructions of one ``chaos run`` of plain, guarded and plain-no-final-gc under valgrind's
    callgrind (deterministic to ~0.1 %, where wall time on a shared VM is not; ~20 s a run); None
    without valgrind (Debian's ``valgrind`` package)."""
    if shutil.which("valgrind") is None:
        print("\ninstructions: valgrind is not installed (apt-get install valgrind)")
        return None
    counts: dict[str, int] = {}
    for name in ("plain", "guarded", "plain-no-final-gc"):
        found = COLLECTED.search(bench.once(name, wrapper=CALLGRIND)[2])
        if found:
            counts[name] = int(found.group(1))
    print("\ninstructions of one chaos run (valgrind callgrind)")
    for name, count in counts.items():
        print(f"  {name:18} {count / 1e6:8.1f} M")
    return counts


def by_package(modules: dict[str, tuple[int, int]]) -> list[tuple[str, float]]:
    """Self time (ms) summed by top-level package (``chaosguard.<subpackage>`` for ours), largest
    first: how much of the overhead is pydantic, how much our own modules."""
    sums: dict[str, float] = {}
    for module, (self_us, _) in modules.items():
        parts = module.split(".")
        key = ".".join(parts[:2]) if parts[0] == "chaosguard" else parts[0]
        sums[key] = sums.get(key, 0.0) + self_us / 1000
    return sorted(sums.items(), key=lambda kv: -kv[1])


def importtime(bench: Bench, top: int) -> list[dict[str, Any]]:
    """Modules only the guarded run imports, by cumulative time (one run each, after warm-up)."""
    plain_err = bench.once("plain", ["-X", "importtime"])[2]
    guarded_err = bench.once("guarded", ["-X", "importtime"])[2]
    plain, guarded = imports(plain_err), imports(guarded_err)
    extra = {k: v for k, v in guarded.items() if k not in plain}
    rows = sorted(extra.items(), key=lambda kv: -kv[1][1])[:top]
    total_self = sum(v[0] for v in extra.values()) / 1000
    print(f"\nimports only the guarded run makes: {len(extra)} modules, {total_self:.1f} ms self")
    print("  self ms by package: " + ", ".join(f"{p} {ms:.1f}" for p, ms in by_package(extra)[:8]))
    print("  cumul ms   self ms  module")
    for mod, (self_us, cum_us) in rows:
        print(f"  {cum_us / 1000:8.1f}  {self_us / 1000:8.1f}  {mod}")
    return [
        {"module": mod, "cumulative_ms": round(c / 1000, 1), "self_ms": round(s / 1000, 1)}
        for mod, (s, c) in rows
    ]


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="measured runs per variant (default 30)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 5 runs each, one warm-up")
    ap.add_argument("--importtime", action="store_true", help="also list the guarded-only imports")
    ap.add_argument(
        "--instructions", action="store_true", help="also count instructions (valgrind, ~1 min)"
    )
    ap.add_argument("--top", type=int, default=25, help="rows of the import table")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    compile_package()  # as an install has it (see _bytecode): the start-up, not the compiler
    runs, warmups = (5, 1) if args.quick else (args.runs, 2)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="cg-startup-"))
    started = time.time()
    load = os.getloadavg()
    try:
        bench = Bench(work)
        for _ in range(warmups):  # page cache and .pyc files, not counted
            for name in VARIANTS:
                bench.once(name)
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(runs):
            order = list(VARIANTS)
            rng.shuffle(order)
            for name in order:
                wall, used, _ = bench.once(name)
                times[name].append(wall)
                cpu[name].append(used)
        top = importtime(bench, args.top) if args.importtime else None
        counts = instructions(bench) if args.instructions else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {name: pct(times[name], 50) for name in VARIANTS}
    ratio = _ratio(med["guarded"], med["plain"])
    same_exit = _ratio(med["guarded"], med["plain-no-final-gc"])
    action_ratio = _ratio(med["guarded-action"], med["plain-action"])
    action_same_exit = _ratio(med["guarded-action"], med["plain-action-no-final-gc"])
    cpu_plain, cpu_guarded = pct(cpu["plain"], 50), pct(cpu["guarded"], 50)
    cpu_ratio = _ratio(cpu_guarded, cpu_plain)
    print(f"\nchaos run of one os.path.exists probe, {runs} interleaved runs each")
    print("                       median     p90     min")
    for name in VARIANTS:
        t = times[name]
        print(f"  {name:18} {pct(t, 50):8.3f} {pct(t, 90):7.3f} {min(t):7.3f}")
    print(f"  overhead_ratio {ratio:.3f} (target <= 1.15)" if ratio else "  overhead_ratio -")
    if cpu_ratio:
        print(
            f"  CPU (user + system) median: plain {cpu_plain:.3f} s, guarded {cpu_guarded:.3f} s"
            f" -> cpu_overhead_ratio {cpu_ratio:.3f} (steadier than wall time on a busy machine)"
        )
    if same_exit and action_ratio and action_same_exit:
        print(
            f"  overhead_ratio_same_exit {same_exit:.3f} (plain skips its final collection too)\n"
            f"  action_overhead_ratio {action_ratio:.3f} (both hold 16 MiB of memory stress), "
            f"same exit {action_same_exit:.3f}"
        )
    for problem in bench.problems:
        print(f"  problem: {problem}")
    out: dict[str, Any] = {
        "runs": runs,
        "load_1m_at_start": round(load[0], 2),
        "duration_s": round(time.time() - started, 1),
        "problems": len(bench.problems),
        "plain_s_p90": _round(pct(times["plain"], 90)),
        "guarded_s_p90": _round(pct(times["guarded"], 90)),
        "plain_cpu_s_median": _round(cpu_plain),
        "guarded_cpu_s_median": _round(cpu_guarded),
        "cpu_overhead_ratio": _round(cpu_ratio),
        "plain_no_final_gc_s_median": _round(med["plain-no-final-gc"]),
        "overhead_ratio_same_exit": _round(same_exit),
        "plain_action_s_median": _round(med["plain-action"]),
        "guarded_action_s_median": _round(med["guarded-action"]),
        "action_overhead_ratio": _round(action_ratio),
        "plain_action_no_final_gc_s_median": _round(med["plain-action-no-final-gc"]),
        "action_overhead_ratio_same_exit": _round(action_same_exit),
    }
    if top is not None:
        out["guarded_only_imports_top"] = top[:10]
    if counts:
        out["instructions_m"] = {name: round(n / 1e6, 1) for name, n in counts.items()}
        out["instructions_ratio"] = _round(_ratio(counts.get("guarded"), counts.get("plain")))
        out["instructions_ratio_same_exit"] = _round(
            _ratio(counts.get("guarded"), counts.get("plain-no-final-gc"))
        )
    out["overhead_ratio"] = _round(ratio)
    out["plain_s_median"] = _round(med["plain"])
    out["guarded_s_median"] = _round(med["guarded"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
