"""The local stress kinds, ``cpu-stress`` and ``memory-stress``: a tree of worker processes.

Inject starts the worker(s) with :func:`chaosguard.faults.workers.spawn_worker` (tied to the runner
by the lifeline pipe) and returns once the stress is active: every CPU worker running, or the memory
resident (the handles carry the achieved RSS). Revert stops every process of the record (SIGTERM,
then SIGKILL; ``vanished`` when none runs, e.g. after ``duration_s`` ended it). Observe lists the
processes still running. A stress cannot change: stop it and start another.

Priority (the spec's ``priority``): ``background`` (default) runs every stress process at nice 19
(the builtin busy processes also under ``SCHED_IDLE``, each in a session whose autogroup is nice 19
too); ``normal`` leaves them at the runner's own priority (nice 0 normally).

* ``cpu-stress``: N busy processes (nice 19 by default), each holding its own CPU time at the
  requested duty cycle with a closed loop (:mod:`._cpu_worker`, :mod:`._dutycycle`), each in a
  session of its own, or ``stress-ng --cpu N --cpu-load L`` (open loop).
* ``memory-stress``: one process holding ``mib`` MiB resident (:mod:`._memory_worker`: a populated
  mmap, allocated at the runner's priority, then held at nice 19 unless ``priority: normal``), or
  ``stress-ng --vm 1 --vm-keep``.
"""

from __future__ import annotations

from typing import Any

from chaosguard.errors import Refused
from chaosguard.faults.contract import FaultKind, FixedFault
from chaosguard.faults.stress import _stressng
from chaosguard.faults.stress._oslib import group_nice, rss_bytes, set_autogroup_nice
from chaosguard.faults.stress.handles import handles_of
from chaosguard.faults.stress.spec import MIB, CpuStressSpec, MemoryStressSpec, Priority
from chaosguard.faults.workers import record_processes, spawn_worker, terminate_record
from chaosguard.ledger.store import FaultRecord

__all__ = [
    "CPU_KIND",
    "MEMORY_KIND",
    "NICE",
    "CpuStress",
    "MemoryStress",
    "WorkerKind",
    "nice_of",
]

#: ``priority: background`` (the default) runs at the lowest priority: it takes idle CPU, never CPU
#: the system needs.
NICE = 19


def nice_of(priority: Priority) -> int:
    """The nice increment of a stress at ``priority``: 19 for ``background``, 0 for ``normal``
    (the worker keeps the runner's own priority)."""
    return NICE if priority == "background" else 0


CPU_WORKER = "chaosguard.faults.stress._cpu_worker"
MEMORY_WORKER = "chaosguard.faults.stress._memory_worker"


class WorkerKind(FixedFault):
    """What both stress kinds share: the fault is a tree of worker processes."""

    name: str = ""

    def __repr__(self) -> str:
        return f"<fault kind {self.name}>"

    def revertible(self, spec: Any) -> bool:
        """Always: stopping the processes ends the stress."""
        return True

    def validate(self, spec: Any) -> None:
        """Nothing beyond the spec (its validators checked the limits and the backend)."""

    def revert(self, record: FaultRecord) -> str:
        """Stop every process of ``record`` (SIGTERM, then SIGKILL); ``vanished`` when none runs.

        Only after its handles re-validate (a pid only with its start time): otherwise
        :class:`~chaosguard.errors.Refused` and nothing is signalled.
        """
        try:
            handles_of(record)
        except ValueError as exc:
            raise Refused(f"record {record.id} does not re-validate: {exc}") from None
        _hasten(record)
        return terminate_record(record)

    def observe(self, record: FaultRecord) -> bool | dict[str, Any]:
        """``{"pids", "rss_mib"}`` of the record's processes still running, false when none runs."""
        procs = record_processes(record)
        if not procs:
            return False
        rss = sum(rss_bytes(p.pid) for p in procs)
        return {"pids": sorted(p.pid for p in procs), "rss_mib": round(rss / MIB, 1)}


def _hasten(record: FaultRecord) -> None:
    """Give the stress's session (its autogroup) the runner's priority back before it is stopped:
    at nice 19 on a busy machine its SIGTERM handler and the freeing of its memory would wait
    behind everything else, past the grace period. The workers' own nice stays: inside their
    autogroup they only compete with each other."""
    mine = group_nice()
    if mine is None:  # no autogroups: the task's nice is what the scheduler uses
        return
    for proc in record_processes(record):
        set_autogroup_nice(mine, proc.pid)


class CpuStress(WorkerKind):
    """Start the CPU workers; revert stops them."""

    name = "cpu-stress"
    Spec = CpuStressSpec

    def inject(self, spec: CpuStressSpec, record: FaultRecord) -> dict[str, Any]:
        """Start the workers (nice 19 unless ``priority: normal``); return their pids once all of
        them run."""
        nice = nice_of(spec.priority)
        if spec.backend == "stress-ng":
            argv = _stressng.cpu_argv(spec.workers, spec.load_percent)
            return _stressng.spawn(
                record, argv, nice=nice, duration_s=spec.duration_s, expect_stressors=spec.workers
            )
        args = [
            "--workers",
            str(spec.workers),
            "--load",
            repr(spec.load_percent),
            "--duration",
            repr(spec.duration_s),
        ]
        if spec.priority == "background":
            args.append("--idle")
        return spawn_worker(record, CPU_WORKER, args, nice=nice)


class MemoryStress(WorkerKind):
    """Start the memory worker; revert stops it."""

    name = "memory-stress"
    Spec = MemoryStressSpec

    def inject(self, spec: MemoryStressSpec, record: FaultRecord) -> dict[str, Any]:
        """Start the worker; return once ``mib`` MiB are resident (handles: pid, rss)."""
        # populating measured ~1 s/GiB on a quiet VM and ~4 s/GiB of never-touched memory on a busy
        # one (the host backs it page by page): be generous
        timeout = 10.0 + spec.mib / 64
        if spec.backend == "stress-ng":
            argv = _stressng.memory_argv(spec.mib)
            return _stressng.spawn(
                record,
                argv,
                nice=nice_of(spec.priority),
                duration_s=spec.duration_s,
                target_rss=spec.mib * MIB,
                ready_timeout=timeout,
            )
        args = ["--mib", str(spec.mib), "--duration", repr(spec.duration_s)]
        args += ["--hold-nice", str(nice_of(spec.priority))]
        # the runner's priority for the allocation burst; the worker then lowers itself to the
        # priority's nice (19 for background) while it holds
        return spawn_worker(record, MEMORY_WORKER, args, nice=0, ready_timeout=timeout)


CPU_KIND = CpuStress()
MEMORY_KIND = MemoryStress()

_cpu: FaultKind[CpuStressSpec] = CPU_KIND
_memory: FaultKind[MemoryStressSpec] = MEMORY_KIND
