"""Memory stress worker: ``python -m chaosguard.faults.stress._memory_worker --mib M ...``.

Maps ``M`` MiB of private anonymous memory and populates it for writing with one thread per usable
CPU, each populating 16 MiB chunks in turn, one system call each (``MADV_POPULATE_WRITE``, Linux
5.14+; else ``MAP_POPULATE``; pages still missing are written one byte per page: :mod:`._populate`).
Readiness is reported only once the resident set holds the target, with the achieved RSS, the
mapping's own resident size, the time the populate took, how (``populate``) and with how many
threads (``populate_threads``).

Huge pages (``MADV_HUGEPAGE``, 512 times fewer faults to populate) are asked for only where they
help: transparent huge pages enabled (``always`` or ``madvise``) and no virtio balloon with *free
page reporting*. In VMs that hand free memory back to the host that way (Firecracker, cloud VMs),
the free 2 MiB blocks are exactly the ones given back, and populating them measured 5-40x slower
and far less predictable than small pages, which come from memory the host still backs.

The allocation is a short burst of kernel page zeroing and runs at the priority the worker was
started with (the populating threads inherit it, and are joined and gone before the drop); the
worker then drops every thread to ``--hold-nice`` (19 unless the spec asked for ``priority:
normal``) for the hold phase. Its session's autogroup keeps nice 0 (the worker is alone in it and
sleeps; a nice-19 group would starve its lifeline and its stop on a busy machine). It volunteers as
the OOM killer's first victim (``oom_score_adj`` 1000) and, where swap exists, re-reads one byte
per page every few seconds, in slices spread over that period, so the pages stay recently used
(resident); without swap anonymous pages cannot leave memory and it only sleeps (:func:`hold`).
"""

from __future__ import annotations

import argparse
import mmap
import os
import signal
import sys
import time
from collections.abc import Sequence

from chaosguard.faults.child import report_error, report_ready, worker_setup
from chaosguard.faults.stress._oslib import rss_bytes, usable_cpus
from chaosguard.faults.stress._populate import (
    MADV_HUGEPAGE,
    MADV_POPULATE_WRITE,
    Allocation,
    allocate,
    populate_threads,
    resident,
)

__all__ = [
    "MADV_HUGEPAGE",
    "MADV_POPULATE_WRITE",
    "Allocation",
    "allocate",
    "free_page_reporting",
    "hold",
    "huge_pages_help",
    "main",
    "region_resident",
    "retouch",
    "swap_configured",
]

PAGE = mmap.PAGESIZE
MIB = 1 << 20
THP_ENABLED = "/sys/kernel/mm/transparent_hugepage/enabled"
BALLOONS = "/sys/bus/virtio/drivers/virtio_balloon"
VIRTIO_BALLOON_F_REPORTING = 5  # feature bit: the guest reports free pages to the host
RETOUCH_SLICE = 64 * MIB  # re-read at most this much memory in one go (~1 ms of page walking)


def _set_priority(nice: int) -> None:
    """Move every thread of this process to ``nice`` (Linux priorities are per thread); a thread
    that may not (raising priority needs ``CAP_SYS_NICE``) keeps its own."""
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


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return ""


def free_page_reporting(balloons: str = BALLOONS) -> bool:
    """True when a virtio balloon device reports free pages to the host (its ``features`` bit
    string, one character per feature bit, has the reporting bit set)."""
    try:
        devices = [d for d in os.listdir(balloons) if d.startswith("virtio")]
    except OSError:
        return False
    for device in devices:
        bits = _read(os.path.join(balloons, device, "features")).strip()
        if len(bits) > VIRTIO_BALLOON_F_REPORTING and bits[VIRTIO_BALLOON_F_REPORTING] == "1":
            return True
    return False


def huge_pages_help(thp_enabled: str = THP_ENABLED, balloons: str = BALLOONS) -> bool:
    """Ask for transparent huge pages? Only when the kernel grants them to a mapping that asks
    (``[always]`` or ``[madvise]``) and no balloon gives free memory back to a host (see the
    module's doc)."""
    mode = _read(thp_enabled)
    if "[always]" not in mode and "[madvise]" not in mode:
        return False
    return not free_page_reporting(balloons)


def region_resident(block: mmap.mmap) -> int:
    """Resident bytes of ``block`` itself, not the interpreter's (:func:`._populate.resident`)."""
    return resident(block)


def retouch(block: mmap.mmap, start: int = 0, stop: int | None = None) -> None:
    """Read one byte per page of ``block[start:stop]`` (in C, via a strided view) so every page
    counts as recently used."""
    view = memoryview(block)
    view[start:stop:PAGE].tobytes()
    view.release()


def swap_configured(meminfo: str = "/proc/meminfo") -> bool:
    """True when the machine has swap (``SwapTotal`` above 0): only then can anonymous pages leave
    memory, and only then do they need to look recently used. Unknown counts as swap."""
    try:
        with open(meminfo) as fh:
            for line in fh:
                if line.startswith("SwapTotal:"):
                    return int(line.split()[1]) > 0
    except (OSError, ValueError, IndexError):
        pass
    return True


def hold(block: mmap.mmap, period: float, deadline: float | None) -> None:
    """Hold ``block`` until ``deadline`` (``time.monotonic``; None = until stopped). Where swap
    exists, every page is re-read once per ``period``, one slice at a time spread over the period
    (short bursts: never tens of milliseconds of page walking in a row); without swap the pages
    cannot leave memory and the worker just sleeps."""
    touch = swap_configured()
    slices = max(1, len(block) // RETOUCH_SLICE) if touch else 1
    step = -(-len(block) // slices // PAGE) * PAGE  # page-aligned, covering the whole block
    n = 0
    while deadline is None or time.monotonic() < deadline:
        pause = period / slices
        left = pause if deadline is None else min(pause, deadline - time.monotonic())
        time.sleep(max(left, 0.0))
        if touch:
            start = (n % slices) * step
            retouch(block, start, start + step)
            n += 1


def _parse(rest: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="memory-worker")
    parser.add_argument("--mib", type=int, required=True)
    parser.add_argument("--duration", type=float, default=0.0, help="seconds; 0 = until stopped")
    parser.add_argument("--retouch", type=float, default=5.0, help="seconds between page re-reads")
    parser.add_argument("--hold-nice", type=int, default=19, help="nice while holding; 0 = keep")
    parser.add_argument(
        "--populate-threads", type=int, default=0, help="0 = one per usable CPU (capped)"
    )  # set by tests only
    return parser.parse_args(list(rest))


def main(argv: Sequence[str] | None = None) -> int:
    """Allocate, report ready with the achieved RSS, hold until the duration ends or a stop."""
    _, rest = worker_setup(argv)
    args = _parse(rest)
    _volunteer_for_oom_killer()
    nbytes = args.mib * MIB
    huge = huge_pages_help()
    threads = args.populate_threads or populate_threads(nbytes, usable_cpus())
    began = time.monotonic()
    try:
        block, method, used = allocate(nbytes, huge, threads=threads)
    except (OSError, ValueError, OverflowError) as exc:
        report_error(f"cannot allocate {args.mib} MiB: {getattr(exc, 'strerror', None) or exc}")
        return 1
    populate_s = time.monotonic() - began
    if args.hold_nice > 0:
        start_nice = os.getpriority(os.PRIO_PROCESS, 0)

        def stop(signum: int, frame: object) -> None:
            # freeing the pages on exit is CPU work: at nice 19 on a busy machine it waits behind
            # everything else, so ask for the start priority back first (granted where raising
            # priority is allowed, e.g. to root)
            _set_priority(start_nice)
            os._exit(0)

        signal.signal(signal.SIGTERM, stop)
        _set_priority(args.hold_nice)
    rss = rss_bytes()
    held = region_resident(block)
    report_ready(
        rss_bytes=rss,
        rss_mib=round(rss / MIB, 1),
        held_mib=round(held / MIB, 1),
        populate_s=round(populate_s, 4),
        populate=method,
        populate_threads=used,
        huge_pages=huge,
    )
    hold(block, args.retouch, began + args.duration if args.duration > 0 else None)
    block.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
