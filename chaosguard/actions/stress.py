"""Actions that load the local machine: CPU stress, memory stress, and ``stop_stress`` to undo them.

Stress runs in worker processes at the lowest priority (nice 19; ``priority: normal`` keeps the
runner's) that die with the runner, and every
stress is recorded in the fault ledger before it starts, so a rollback, the guard or
``chaos cleanup`` can always stop it. Each action returns as soon as the stress is active (CPU
workers running, memory resident); ``duration_s`` makes the stress end by itself, 0 keeps it until
reverted. Every argument's type is checked first (one line naming it), then its range; right before
the stress starts, the operator's policy decides (:func:`chaosguard.policy.gate.admit`: kill switch,
windows, freezes, ``local.max_cpu_workers`` / ``local.max_memory_mib``, ``allow_unguarded``), with
or without the guard control.

No ``from __future__ import annotations`` here: ``chaos discover`` reads the annotations at run time
and would show postponed (string) annotations as ``object``.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chaosguard import faults
from chaosguard.actions._args import check_types, checked_by
from chaosguard.errors import RevertError
from chaosguard.faults.stress.spec import CpuStressSpec, MemoryStressSpec
from chaosguard.policy.gate import admit
from chaosguard.validation import fields_of, parse

__all__ = ["stress_cpu", "stress_memory", "stop_stress"]

_KINDS = {
    "cpu": ("cpu-stress",),
    "memory": ("memory-stress",),
    "all": ("cpu-stress", "memory-stress"),
}


class _StopSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["all", "cpu", "memory"] = "all"


def _summary(record: faults.FaultRecord) -> dict[str, Any]:
    handles = record.handles
    out: dict[str, Any] = {
        "record": record.id,
        "kind": record.kind,
        **record.spec,
        "pids": handles.get("pids") or [handles.get("pid")],
    }
    if "rss_mib" in handles:
        out["rss_mib"] = handles["rss_mib"]
    return out


def _cpu_spec(values: dict[str, Any]) -> CpuStressSpec:
    return parse(CpuStressSpec, **fields_of(CpuStressSpec, values))


def _memory_spec(values: dict[str, Any]) -> MemoryStressSpec:
    return parse(MemoryStressSpec, **fields_of(MemoryStressSpec, values))


def _stop_spec(values: dict[str, Any]) -> _StopSpec:
    return parse(_StopSpec, **fields_of(_StopSpec, values))


@checked_by(_cpu_spec)
def stress_cpu(
    workers: int = 1,
    load_percent: float = 100.0,
    duration_s: float = 0.0,
    backend: str = "builtin",
    priority: str = "background",
    configuration: dict = None,
    secrets: dict = None,
) -> dict:
    """Keep ``workers`` processes each busy ``load_percent`` % of one CPU, at nice 19 by default.

    The builtin backend measures each process's own CPU time and adjusts its busy/sleep slices so
    the load holds its target (closed loop), also under other load; it only takes CPU time that
    nothing with a higher priority wants.

    :param workers: number of busy processes, from 1 to 4 per usable CPU (default 1).
    :param load_percent: busy share of one CPU per process, above 0 and at most 100 (default 100 =
        never sleep).
    :param duration_s: seconds after which the stress ends by itself; 0 (default) = until reverted
        by ``stop_stress``, the guard or ``chaos cleanup``.
    :param backend: ``builtin`` (default) or ``stress-ng`` (runs ``stress-ng --cpu N --cpu-load L``,
        open loop, whole percents; stress-ng must be installed).
    :param priority: ``background`` (default: nice 19, takes only CPU nothing else wants) or
        ``normal`` (the runner's priority: competes like any normal-priority process).
    :returns: ``{"record", "kind", "workers", "load_percent", "duration_s", "backend", "priority",
        "pids"}``.
    """
    check_types(stress_cpu, locals())
    spec = _cpu_spec(locals())
    admit(f"{__name__}:stress_cpu", {"workers": spec.workers, "priority": spec.priority})
    return _summary(faults.inject("cpu-stress", spec))


@checked_by(_memory_spec)
def stress_memory(
    mib: int,
    duration_s: float = 0.0,
    backend: str = "builtin",
    priority: str = "background",
    configuration: dict = None,
    secrets: dict = None,
) -> dict:
    """Hold ``mib`` MiB of memory resident; returns once it is resident.

    Refused (nothing started) when ``mib`` exceeds the memory available now minus a safety margin
    (the larger of 256 MiB and 5 % of total memory). The worker is the OOM killer's first choice.

    :param mib: MiB to hold resident (a positive whole number).
    :param duration_s: seconds after which the memory is released by itself; 0 (default) = until
        reverted by ``stop_stress``, the guard or ``chaos cleanup``.
    :param backend: ``builtin`` (default: one populated mmap, held idle) or ``stress-ng`` (runs
        ``stress-ng --vm 1 --vm-bytes <mib>M --vm-keep --vm-populate``, which also keeps rewriting
        the memory; stress-ng must be installed).
    :param priority: ``background`` (default: held at nice 19) or ``normal`` (the runner's
        priority).
    :returns: ``{"record", "kind", "mib", "duration_s", "backend", "priority", "pids", "rss_mib"}``
        where ``rss_mib`` is the resident size reached by the stress processes.
    """
    check_types(stress_memory, locals())
    spec = _memory_spec(locals())
    admit(f"{__name__}:stress_memory", {"mib": spec.mib, "priority": spec.priority})
    return _summary(faults.inject("memory-stress", spec))


@checked_by(_stop_spec)
def stop_stress(kind: str = "all", configuration: dict = None, secrets: dict = None) -> dict:
    """Stop the stress this run started; harmless when none runs. Use it as a rollback.

    :param kind: which stress to stop: ``cpu``, ``memory`` or ``all`` (default).
    :returns: ``{"stopped": [{"record", "kind", "outcome"}]}`` (``outcome`` is ``reverted``, or
        ``vanished`` when the stress had already ended by itself).
    """
    check_types(stop_stress, locals())
    spec = _stop_spec(locals())
    stopped, failed = [], []
    for name in _KINDS[spec.kind]:
        for record in faults.open_records(name):
            try:
                closed = faults.revert(record)
            except RevertError as exc:
                failed.append(str(exc))
                continue
            stopped.append({"record": closed.id, "kind": closed.kind, "outcome": closed.outcome})
    if failed:
        raise RevertError(
            f"stop_stress: {len(failed)} stress fault(s) still running: {'; '.join(failed)}"
        )
    return {"stopped": stopped}
