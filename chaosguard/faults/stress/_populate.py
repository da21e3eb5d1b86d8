"""Make a private anonymous mapping resident fast: the memory worker's allocation (standard library
only: it runs in the worker before its ready report).

The mapping is cut into page-aligned chunks of :data:`CHUNK` and populated for writing by up to
one thread per usable CPU (at most :data:`MAX_THREADS`), each thread taking the next chunk until
none is left (a thread the scheduler keeps waiting holds no share of the work back) and populating
it with one ``madvise(MADV_POPULATE_WRITE)`` (Linux 5.14+), called through ctypes so that the GIL
is released while the kernel zeroes the pages. Every thread is joined, and gone from
``/proc/self/task``, before :func:`allocate` returns: nothing of the burst runs on into the hold.

Fallbacks, in order: a refused ``madvise`` on any chunk (older kernel) maps again with
``MAP_POPULATE`` (one thread); pages still missing after that are written one byte per page.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from chaosguard.faults.stress._oslib import rss_bytes

__all__ = [
    "Allocation",
    "address_of",
    "allocate",
    "libc_madvise",
    "populate_threads",
    "resident",
]

PAGE = mmap.PAGESIZE
MIB = 1 << 20
MADV_POPULATE_WRITE = 23  # linux/mman.h; not exported by Python 3.11's mmap module
MADV_HUGEPAGE = 14
MAX_THREADS = 8  # a cap: past a few threads page zeroing waits on memory bandwidth, not CPUs
CHUNK = 16 * MIB  # one madvise call, ~8 ms of one CPU here: the threads finish close together
ALIGN = 2 * MIB  # chunks start on huge-page boundaries (whole huge pages per call)

_LOW_BIT = bytes(i & 1 for i in range(256))  # mincore: bit 0 = resident, the others reserved

Advise = Callable[[int, int, int], int]
"""``advise(address, length, advice)``: 0 or the errno of a refusal (the shape of ``madvise``)."""


class Allocation(NamedTuple):
    """A resident mapping, how it was populated and by how many threads."""

    block: mmap.mmap
    method: str  # "madvise" | "map-populate" | "touch" (one byte per page written)
    threads: int


_libc_handle: ctypes.CDLL | None = None


def _libc() -> ctypes.CDLL:
    """A libc handle of this module's own (its function prototypes are set here only)."""
    global _libc_handle
    if _libc_handle is None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
        libc.mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p)
        _libc_handle = libc
    return _libc_handle


def libc_madvise(address: int, length: int, advice: int) -> int:
    """libc's ``madvise`` (the GIL released during the call); 0 or the errno."""
    if _libc().madvise(address, length, advice) == 0:
        return 0
    return ctypes.get_errno() or errno.EINVAL


def resident(block: mmap.mmap) -> int:
    """Resident bytes of ``block`` itself, page by page (``mincore``): exact even where the kernel
    merged the mapping with a neighbouring one in ``/proc/self/smaps``."""
    pages = -(-len(block) // PAGE)
    vector = ctypes.create_string_buffer(pages)
    if _libc().mincore(address_of(block), len(block), vector) != 0:
        raise OSError(ctypes.get_errno(), "mincore failed")
    return vector.raw[:pages].translate(_LOW_BIT).count(1) * PAGE


def address_of(block: mmap.mmap) -> int:
    """The start address of ``block`` (the buffer export is released again, so the mapping can
    still be closed)."""
    anchor = ctypes.c_char.from_buffer(block)
    try:
        return ctypes.addressof(anchor)
    finally:
        del anchor


def populate_threads(nbytes: int, cpus: int) -> int:
    """How many threads populate ``nbytes``: one per usable CPU, at most :data:`MAX_THREADS`, no
    more than there are chunks; at least 1."""
    return max(1, min(cpus, MAX_THREADS, -(-nbytes // CHUNK)))


def _chunks(nbytes: int, chunk: int = CHUNK) -> list[tuple[int, int]]:
    """(offset, length) of contiguous chunks covering ``nbytes``, each starting on an
    :data:`ALIGN` boundary."""
    step = max(ALIGN, chunk // ALIGN * ALIGN)
    return [(start, min(step, nbytes - start)) for start in range(0, nbytes, step)]


def _wait_tasks_gone(tids: list[int], timeout: float = 1.0) -> None:
    """Wait until the kernel tasks of joined threads have left ``/proc/self/task`` (a joined
    Python thread may still be exiting for a moment)."""
    deadline = time.monotonic() + timeout
    for tid in tids:
        while os.path.exists(f"/proc/self/task/{tid}") and time.monotonic() < deadline:
            time.sleep(0.0005)


def _populate(block: mmap.mmap, threads: int, advise: Advise) -> tuple[bool, int]:
    """``MADV_POPULATE_WRITE`` over ``block``, chunk by chunk, by ``threads`` threads (this one
    included); (every chunk populated, the number of threads used). The first refusal stops the
    others taking more chunks."""
    base = address_of(block)
    chunks = iter(_chunks(len(block)))  # next() on it is atomic under the GIL
    threads = max(1, min(threads, -(-len(block) // CHUNK)))
    refused: list[int] = []
    done: list[int] = []
    tids: list[int] = []  # the helpers' kernel task ids

    def run(helper: bool) -> None:
        if helper:
            tids.append(threading.get_native_id())
        while not refused:
            item = next(chunks, None)
            if item is None:
                return
            offset, length = item
            failure = errno.EINTR
            while failure == errno.EINTR:  # interrupted, not refused: populate the chunk again
                failure = advise(base + offset, length, MADV_POPULATE_WRITE)
            (refused if failure else done).append(length)

    helpers: list[threading.Thread] = []
    try:
        for i in range(1, threads):
            helper = threading.Thread(target=run, args=(True,), name=f"populate-{i}", daemon=True)
            helper.start()
            helpers.append(helper)
    except RuntimeError:  # no more threads allowed (a pids limit): fewer threads populate
        pass
    try:
        run(False)
    finally:
        for helper in helpers:
            helper.join()
        _wait_tasks_gone(tids)
    return not refused and sum(done) == len(block), 1 + len(helpers)


def allocate(
    nbytes: int,
    huge: bool = False,
    *,
    threads: int = 1,
    advise: Advise = libc_madvise,
    map_populate: int = getattr(mmap, "MAP_POPULATE", 0),
) -> Allocation:
    """A private anonymous mapping of ``nbytes`` whose pages are all resident (in huge pages where
    the kernel can when ``huge``), populated by up to ``threads`` threads.

    ``advise`` and ``map_populate`` exist so tests can play an older kernel (a refused
    ``MADV_POPULATE_WRITE``, an ignored ``MAP_POPULATE``) on this one.
    """
    base_rss = rss_bytes()
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    prot = mmap.PROT_READ | mmap.PROT_WRITE
    block = mmap.mmap(-1, nbytes, flags=flags, prot=prot)
    if huge:  # refused when THP is not built in: small pages
        advise(address_of(block), nbytes, MADV_HUGEPAGE)
    populated, used = _populate(block, threads, advise)
    method = "madvise"
    if not populated:  # kernel < 5.14: map again with MAP_POPULATE
        block.close()
        block = mmap.mmap(-1, nbytes, flags=flags | map_populate, prot=prot)
        method, used = "map-populate", 1
    if rss_bytes() - base_rss < nbytes * 0.99:  # populate ignored or partial: one byte per page
        view = memoryview(block)
        view[::PAGE] = b"\x01" * len(range(0, nbytes, PAGE))
        view.release()
        method = "touch"
    return Allocation(block, method, used)
