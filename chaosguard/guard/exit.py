"""The end of a guarded process: skip the interpreter's final garbage collection.

When Python exits it collects garbage while it tears down its modules. That pass walks every
object still tracked, and a guarded ``chaos run`` holds many: pydantic's schemas, the policy
models, Chaos Toolkit's own. Measured on the start-up benchmark's trivial run, it took 66–91 ms
of a guarded run's exit (39–51 ms of a plain run's); with the objects frozen first it took 6–10
ms. So once the guard has a session, its last ``atexit`` handler moves every object to the
permanent generation (:func:`gc.freeze`), which the final passes leave alone.

Nothing of the run is lost. Every ``atexit`` handler still runs, before or after this one (the
fault-revert safety net, the telemetry flushes, logging's shutdown): freezing changes nothing
they do. Objects freed by their reference count are still freed, files closed, the standard
streams flushed. What is skipped is only collecting reference cycles that are still alive when
the process ends, which the operating system reclaims with the process; chaosguard writes its
ledger, lock and journal files explicitly, never from a finalizer.

The handler is registered once per process and only does its work at exit, so a process that
runs many experiments (a test suite, an in-process game day) collects garbage as usual until
then.
"""

from __future__ import annotations

import atexit
import gc
import threading

__all__ = ["skip_final_collection", "freeze_at_exit"]

_registered = False
_lock = threading.Lock()


def skip_final_collection() -> None:
    """Move every tracked object to the permanent generation, so the interpreter's final
    collections pass over them (an ``atexit`` handler: the process is ending)."""
    gc.freeze()


def freeze_at_exit() -> None:
    """Register :func:`skip_final_collection` with ``atexit``, once per process."""
    global _registered
    with _lock:
        if not _registered:
            atexit.register(skip_final_collection)
            _registered = True
