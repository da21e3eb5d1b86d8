"""Memory stress worker: ``python -m chaosguard.faults.stress._memory_worker --mib M ...``.

Maps ``M`` MiB of private anonymous memory and populates it for writing in one system call
(``MADV_POPULATE_WRITE``, Linux 5.14+; else ``MAP_POPULATE``; pages still missing are written one
byte per page). Readiness is reported only once the resident set holds the target, with the achieved
RSS.

No ``MADV_HUGEPAGE`` on purpose: huge pages populate faster on bare metal, but in VMs that hand free
memory back to the host (virtio-balloon free page reporting: Firecracker, cloud VMs) the free 2 MiB
blocks are exactly the ones given back, and populating them measured 5-10x slower and far less
predictable.

The allocation is a short burst of kernel page zeroing and runs at the priority the worker was
started with; the worker then drops to nice 19 for the hold phase. It volunteers as the OOM killer's
first victim (``oom_score_adj`` 1000) and re-reads one byte per page every few seconds so the pages
stay recently used (resident even where swap exists).
"""

from __future__ import annotations

import argparse
import ctypes
import mmap
import os
import sys
import time
from collections.abc import Sequence

from chaosguard.faults.child import report_error, report_ready, worker_setup
from chaosguard.faults.stress._oslib import rss_bytes

PAGE = mmap.PAGESIZE
MIB = 1 << 20
MADV_POPULATE_WRITE = 23  # linux/mman.h; not exported by Python 3.11's mmap module


def _lower_priority(nice: int = 19) -> None:
    """Move every thread of this process to ``nice`` (Linux priorities are per thread)."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.setpriority(os.PRIO_PROCESS, int(tid), nice)
        except OSError:
            pass


def _volunteer_for_oom_killer() -> None:
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
    except OSError:
        pass


def allocate(nbytes: int) -> mmap.mmap:
    """A private anonymous mapping of ``nbytes`` whose pages are all resident."""
    base = rss_bytes()
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    block = mmap.mmap(-1, nbytes, flags=flags, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    try:
        block.madvise(MADV_POPULATE_WRITE)
    except OSError:  # kernel < 5.14: map again with MAP_POPULATE
        block.close()
        flags |= getattr(mmap, "MAP_POPULATE", 0)
        block = mmap.mmap(-1, nbytes, flags=flags, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    if rss_bytes() - base < nbytes * 0.99:  # populate ignored or partial: write one byte per page
        view = memoryview(block)
        view[::PAGE] = b"\x01" * len(range(0, nbytes, PAGE))
        view.release()
    return block


def region_resident(block: mmap.mmap) -> int:
    """Resident bytes of ``block`` itself (its ``Rss:`` in ``/proc/self/smaps``), not the
    interpreter's."""
    anchor = ctypes.c_char.from_buffer(block)
    start = ctypes.addressof(anchor)
    del anchor  # release the buffer export so the mapping can be closed later
    inside = False
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split(None, 1)[0]
            if "-" in head and not head.endswith(":"):
                low, high = (int(x, 16) for x in head.split("-"))
                inside = low <= start < high
            elif inside and head == "Rss:":
                return int(line.split()[1]) * 1024
    return 0


def retouch(block: mmap.mmap) -> None:
    """Read one byte per page (in C, via a strided view) so every page counts as recently used."""
    view = memoryview(block)
    view[::PAGE].tobytes()
    view.release()


def _parse(rest: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="memory-worker")
    parser.add_argument("--mib", type=int, required=True)
    parser.add_argument("--duration", type=float, default=0.0, help="seconds; 0 = until stopped")
    parser.add_argument("--retouch", type=float, default=5.0, help="seconds between page re-reads")
    return parser.parse_args(list(rest))


def main(argv: Sequence[str] | None = None) -> int:
    """Allocate, report ready with the achieved RSS, hold until the duration ends or a stop."""
    _, rest = worker_setup(argv)
    args = _parse(rest)
    _volunteer_for_oom_killer()
    nbytes = args.mib * MIB
    began = time.monotonic()
    try:
        block = allocate(nbytes)
    except (OSError, ValueError, OverflowError) as exc:
        report_error(f"cannot allocate {args.mib} MiB: {getattr(exc, 'strerror', None) or exc}")
        return 1
    populate_s = time.monotonic() - began
    _lower_priority()
    rss = rss_bytes()
    held = region_resident(block)
    report_ready(
        rss_bytes=rss,
        rss_mib=round(rss / MIB, 1),
        held_mib=round(held / MIB, 1),
        populate_s=round(populate_s, 4),
    )
    deadline = began + args.duration if args.duration > 0 else None
    while deadline is None or time.monotonic() < deadline:
        left = args.retouch if deadline is None else min(args.retouch, deadline - time.monotonic())
        time.sleep(max(left, 0.0))
        retouch(block)
    block.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
