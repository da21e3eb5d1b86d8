"""Local resource stress: CPU load (``cpu-stress``) and resident memory (``memory-stress``).

Each fault is one worker process tree started by :func:`chaosguard.faults.workers.spawn_worker`, at the
lowest priority, tied to the runner by the lifeline pipe and stopped by ``terminate_record``:

* :mod:`.cpu` / :mod:`._cpu_worker` — N busy processes, each holding its own CPU time at the requested
  duty cycle with a closed loop (:mod:`._dutycycle`);
* :mod:`.memory` / :mod:`._memory_worker` — one process holding ``mib`` MiB resident (populated mmap);
* :mod:`.stressng` / :mod:`._stressng_worker` — the optional ``stress-ng`` backend, run as a process group
  under a small Python wrapper that owns the lifeline and kills the group on exit.

This package's ``__init__`` imports nothing, so worker processes start fast.
"""
