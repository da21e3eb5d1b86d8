"""Process settings of the latency worker that keep its wake-ups on time on a busy machine.

- **Garbage collector.** Everything imported at start-up (pydantic, uvloop, the spec models: tens
  of thousands of objects) is moved out of the collector's reach with :func:`gc.freeze`, and the
  young generation is collected every :data:`GC_GEN0` allocations instead of 700: the per-chunk
  objects die young (reference counting frees them), so collections were pauses amid the timers.
- **Short scheduler slices (opt-in).** On Linux 6.12 and later (EEVDF), a thread may ask for a
  shorter time slice (``sched_setattr`` with ``sched_runtime`` under ``SCHED_OTHER``; no privilege
  needed). It does not raise the worker's share of the CPU or its priority: it gives it earlier
  virtual deadlines, so when a due timer wakes it while the cores are busy the kernel may let it run
  sooner, for a shorter turn. ``CHAOSGUARD_LATENCY_SLICE_US=<µs>`` asks for it; unset or ``0``
  keeps the kernel's default (the default, until a quiet-machine measurement shows a gain: on the
  busy development VM it measured within noise). Older kernels and other systems ignore it.
"""

from __future__ import annotations

import gc
import os
import platform
import struct

__all__ = ["DEFAULT_SLICE_US", "GC_GEN0", "SLICE_ENV", "freeze_heap", "request_slice"]

#: Young-generation threshold once the start-up heap is frozen (CPython's default: 700).
GC_GEN0 = 20_000
#: The slice asked for, in µs (the kernel accepts 100 µs to 100 ms; its own default is ~0.7-3 ms);
#: 0: leave the kernel's default.
DEFAULT_SLICE_US = 0
#: Overrides :data:`DEFAULT_SLICE_US` (e.g. ``200``); ``0`` keeps the kernel's default slice.
SLICE_ENV = "CHAOSGUARD_LATENCY_SLICE_US"

_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}
_ATTR = struct.Struct("IIQiIQQQII")  # struct sched_attr, SCHED_ATTR_SIZE_VER1 (56 bytes)


def freeze_heap() -> None:
    """Collect once, freeze what survives, collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0, gen1, gen2)


def request_slice(slice_us: int | None = None) -> bool:
    """Ask for ``slice_us`` µs scheduler slices for the calling thread; whether the call succeeded
    (kernels before 6.12 accept it and keep their default slice).

    ``None`` reads :data:`SLICE_ENV` (default :data:`DEFAULT_SLICE_US`). Never raises: on a kernel,
    machine or system without custom slices it changes nothing and returns False.
    """
    if slice_us is None:
        try:
            slice_us = int(os.environ.get(SLICE_ENV, DEFAULT_SLICE_US))
        except ValueError:
            slice_us = DEFAULT_SLICE_US
    number = _SCHED_SETATTR.get(platform.machine())
    if slice_us <= 0 or number is None or os.uname().sysname != "Linux":
        return False
    import ctypes  # only here: the worker needs it for this one call

    nice = os.getpriority(os.PRIO_PROCESS, 0)
    attr = ctypes.create_string_buffer(
        _ATTR.pack(_ATTR.size, 0, 0, nice, 0, slice_us * 1000, 0, 0, 0, 0), _ATTR.size
    )
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.syscall(number, 0, attr, 0)) == 0
    except (OSError, AttributeError):
        return False
