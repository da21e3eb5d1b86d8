"""The memory worker's choices: when it asks for transparent huge pages (read from sysfs files,
faked here: the sysfs of a bare-metal host or of another kind of VM cannot be had on the test
machine), how it populates the mapping (real mappings, populated in parallel slices; an older
kernel's refusals are played by the injectable ``advise``/``map_populate``, the only stand-ins), and
how it holds the memory (re-reading it in slices only where swap exists)."""

from __future__ import annotations

import errno
import mmap
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chaosguard.faults.stress import _memory_worker as worker
from chaosguard.faults.stress._memory_worker import (
    PAGE,
    free_page_reporting,
    huge_pages_help,
    region_resident,
    swap_configured,
)
from chaosguard.faults.stress._populate import (
    CHUNK,
    MADV_HUGEPAGE,
    MADV_POPULATE_WRITE,
    MAX_THREADS,
    Allocation,
    address_of,
    allocate,
    libc_madvise,
    populate_threads,
)

NO_REPORTING = "0110000000000000000000000000000010000000"
REPORTING = "0110010000000000000000000000000010000000"  # bit 5: VIRTIO_BALLOON_F_REPORTING


def _sysfs(root: Path, thp: str | None, balloons: list[str]) -> tuple[str, str]:
    enabled = root / "thp-enabled"
    if thp is not None:
        enabled.write_text(thp + "\n")
    drivers = root / "virtio_balloon"
    drivers.mkdir()
    (drivers / "bind").write_text("")  # a driver directory also holds bind/unbind/uevent
    for n, features in enumerate(balloons):
        device = drivers / f"virtio{n}"
        device.mkdir()
        (device / "features").write_text(features + "\n")
    return str(enabled), str(drivers)


@pytest.mark.parametrize(
    ("thp", "balloons", "expected"),
    [
        ("always [madvise] never", [], True),  # bare metal, THP on request
        ("[always] madvise never", [NO_REPORTING], True),  # a balloon that keeps free memory
        ("always [madvise] never", [REPORTING], False),  # free 2 MiB blocks go back to the host
        ("always [madvise] never", [NO_REPORTING, REPORTING], False),
        ("always madvise [never]", [], False),  # THP off
        (None, [], False),  # kernel without THP
    ],
)
def test_huge_pages_only_where_they_help(
    tmp_path: Path, thp: str | None, balloons: list[str], expected: bool
) -> None:
    enabled, drivers = _sysfs(tmp_path, thp, balloons)
    assert huge_pages_help(enabled, drivers) is expected


def test_no_balloon_driver_means_no_reporting(tmp_path: Path) -> None:
    assert free_page_reporting(str(tmp_path / "missing")) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MemTotal: 100 kB\nSwapTotal:       0 kB\n", False),
        ("MemTotal: 100 kB\nSwapTotal: 2097148 kB\n", True),
        ("MemTotal: 100 kB\n", True),  # unknown: keep the pages looking used
    ],
)
def test_swap_configured(tmp_path: Path, text: str, expected: bool) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(text)
    assert swap_configured(str(meminfo)) is expected


def _spy(monkeypatch: pytest.MonkeyPatch, swap: bool) -> list[tuple[int, int]]:
    touched: list[tuple[int, int]] = []
    real = worker.retouch

    def spy(block: mmap.mmap, start: int = 0, stop: int | None = None) -> None:
        real(block, start, stop)  # still reads the pages for real
        touched.append((start, len(block) if stop is None else min(stop, len(block))))

    monkeypatch.setattr(worker, "retouch", spy)
    monkeypatch.setattr(worker, "swap_configured", lambda: swap)
    monkeypatch.setattr(worker, "RETOUCH_SLICE", 1 << 20)
    return touched


def test_hold_rereads_every_page_once_per_period_in_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    touched = _spy(monkeypatch, swap=True)
    block = allocate(8 << 20).block
    began = time.monotonic()
    worker.hold(block, period=0.2, deadline=began + 0.25)
    assert time.monotonic() - began >= 0.25
    first_round = sorted(touched[:8])
    assert len(first_round) == 8 and all(b - a <= 1 << 20 for a, b in first_round)
    covered = 0
    for start, stop in first_round:  # contiguous, page-aligned slices covering the whole block
        assert start == covered and start % PAGE == 0
        covered = stop
    assert covered == len(block)
    block.close()


def test_hold_without_swap_only_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    touched = _spy(monkeypatch, swap=False)
    block = allocate(4 << 20).block
    began = time.monotonic()
    worker.hold(block, period=0.05, deadline=began + 0.2)
    assert time.monotonic() - began >= 0.2 and touched == []
    block.close()


# -- populating ------------------------------------------------------------------------------------
MIB = 1 << 20


def _tasks() -> set[int]:
    return {int(tid) for tid in os.listdir("/proc/self/task")}


class Recorder:
    """``libc_madvise`` for real, recording each call's (address, length, advice, thread);
    ``refuse(advice, helper)`` (``helper``: called from a thread other than the allocating one)
    makes a call fail with EINVAL instead, as a kernel older than 5.14 answers
    ``MADV_POPULATE_WRITE``."""

    def __init__(self, refuse: Callable[[int, bool], bool] = lambda advice, helper: False) -> None:
        self.refuse = refuse
        self.owner = threading.get_native_id()
        self.calls: list[tuple[int, int, int, int]] = []
        self.lock = threading.Lock()

    def __call__(self, address: int, length: int, advice: int) -> int:
        tid = threading.get_native_id()
        with self.lock:
            self.calls.append((address, length, advice, tid))
        if self.refuse(advice, tid != self.owner):
            return errno.EINVAL
        return libc_madvise(address, length, advice)

    def calls_in(self, block: mmap.mmap, advice: int) -> list[tuple[int, int, int]]:
        """(offset in ``block``, length, thread) of the calls with ``advice``, by offset."""
        base = address_of(block)
        return sorted((a - base, n, t) for a, n, adv, t in self.calls if adv == advice)


def _allocate(nbytes: int, recorder: Recorder, **kwargs: Any) -> Allocation:
    return allocate(nbytes, advise=recorder, **kwargs)


def _assert_resident(allocation: Allocation, nbytes: int) -> None:
    held = region_resident(allocation.block)
    assert 0.95 * nbytes <= held <= 1.05 * nbytes, held / MIB


def test_populates_in_parallel_chunks_and_every_thread_is_gone_on_return() -> None:
    before = _tasks()
    recorder = Recorder()
    allocation = _allocate(64 * MIB, recorder, threads=4)
    assert allocation.method == "madvise" and allocation.threads == 4
    _assert_resident(allocation, 64 * MIB)
    calls = recorder.calls_in(allocation.block, MADV_POPULATE_WRITE)
    covered = 0
    for offset, length, _ in calls:  # contiguous aligned chunks, each populated once, cover all
        assert offset == covered and offset % (2 * MIB) == 0 and length <= CHUNK
        covered += length
    assert covered == 64 * MIB
    assert len({tid for *_, tid in calls}) <= 4
    helpers = {tid for *_, tid in calls} - {threading.get_native_id()}
    assert not helpers & _tasks()  # the helpers' kernel tasks have exited, not just been joined
    assert _tasks() <= before
    assert not [t for t in threading.enumerate() if t.name.startswith("populate-")]
    allocation.block.close()  # the address taken through ctypes left no buffer export behind


def test_one_thread_populates_alone() -> None:
    recorder = Recorder()
    allocation = _allocate(40 * MIB, recorder, threads=1)
    assert allocation.threads == 1 and allocation.method == "madvise"
    calls = recorder.calls_in(allocation.block, MADV_POPULATE_WRITE)
    me = threading.get_native_id()
    assert calls == [(0, CHUNK, me), (CHUNK, CHUNK, me), (2 * CHUNK, 8 * MIB, me)]
    _assert_resident(allocation, 40 * MIB)
    allocation.block.close()


def test_no_more_threads_than_chunks() -> None:
    allocation = _allocate(8 * MIB, Recorder(), threads=4)
    assert allocation.threads == 1 and allocation.method == "madvise"
    _assert_resident(allocation, 8 * MIB)
    allocation.block.close()


@pytest.mark.parametrize(
    "refuse",
    [
        lambda advice, helper: advice == MADV_POPULATE_WRITE,  # kernel < 5.14: every slice
        lambda advice, helper: advice == MADV_POPULATE_WRITE and helper,  # one slice refused
    ],
    ids=["all-refused", "one-slice-refused"],
)
def test_refused_populate_maps_again_with_map_populate(refuse: Callable[[int, bool], bool]) -> None:
    allocation = _allocate(32 * MIB, Recorder(refuse), threads=2)
    assert allocation.method == "map-populate" and allocation.threads == 1
    _assert_resident(allocation, 32 * MIB)
    allocation.block.close()


def test_pages_still_missing_are_written_one_byte_per_page() -> None:
    refuse = Recorder(lambda advice, helper: advice == MADV_POPULATE_WRITE)
    allocation = _allocate(32 * MIB, refuse, threads=2, map_populate=0)  # MAP_POPULATE ignored
    assert allocation.method == "touch"
    _assert_resident(allocation, 32 * MIB)
    allocation.block.close()


def test_huge_pages_are_asked_for_the_whole_mapping_only_when_wanted() -> None:
    for huge in (False, True):
        recorder = Recorder()
        allocation = _allocate(8 * MIB, recorder, huge=huge)
        asked = [(o, n) for o, n, _ in recorder.calls_in(allocation.block, MADV_HUGEPAGE)]
        assert asked == ([(0, 8 * MIB)] if huge else [])
        _assert_resident(allocation, 8 * MIB)
        allocation.block.close()


@pytest.mark.parametrize(
    ("mib", "cpus", "expected"),
    [
        (512, 2, 2),  # one thread per usable CPU
        (512, 1, 1),
        (512, 64, MAX_THREADS),  # capped
        (32, 8, 2),  # no more threads than 16 MiB chunks
        (17, 8, 2),
        (1, 8, 1),  # at least one
    ],
)
def test_populate_threads(mib: int, cpus: int, expected: int) -> None:
    assert CHUNK == 16 * MIB
    assert populate_threads(mib * MIB, cpus) == expected


def test_resident_counts_the_mappings_own_pages() -> None:
    block = mmap.mmap(-1, 8 * MIB, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    assert region_resident(block) == 0  # mapped, never touched
    view = memoryview(block)
    view[: 4 * MIB : PAGE] = b"\x01" * (4 * MIB // PAGE)  # the first half, one byte per page
    view.release()
    assert region_resident(block) == 4 * MIB
    block.close()


def test_an_interrupted_chunk_is_populated_again_not_taken_for_a_refusal() -> None:
    interrupted: list[int] = []

    def advise(address: int, length: int, advice: int) -> int:
        if advice == MADV_POPULATE_WRITE and not interrupted:
            interrupted.append(address)
            return errno.EINTR
        return libc_madvise(address, length, advice)

    allocation = allocate(32 * MIB, advise=advise, threads=2)
    assert interrupted and allocation.method == "madvise"
    _assert_resident(allocation, 32 * MIB)
    allocation.block.close()
