"""Local resource stress: CPU load (``cpu-stress``) and resident memory (``memory-stress``).

- :mod:`.spec`: :class:`~.spec.CpuStressSpec`, :class:`~.spec.MemoryStressSpec` and their limits.
- :mod:`.kind`: the two kinds. Each fault is one worker process tree started by
  :func:`chaosguard.faults.workers.spawn_worker`, at the lowest priority, tied to the runner by the
  lifeline pipe and stopped by ``terminate_record``.
- workers (private): :mod:`._cpu_worker` (N busy processes, each holding its own CPU time at the
  requested duty cycle with a closed loop, :mod:`._dutycycle`), :mod:`._memory_worker` (one process
  holding ``mib`` MiB resident), :mod:`._stressng` / :mod:`._stressng_worker` (the optional
  ``stress-ng`` backend, run as a session under a small Python wrapper that owns the lifeline
  and kills the group on exit), :mod:`._oslib` (Linux process helpers).

This package's ``__init__`` imports nothing, so worker processes start fast.
"""
