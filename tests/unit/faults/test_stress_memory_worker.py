"""The memory worker's choices: when it asks for transparent huge pages (read from sysfs files,
faked here: the sysfs of a bare-metal host or of another kind of VM cannot be had on the test
machine), and how it holds the memory (re-reading it in slices only where swap exists)."""

from __future__ import annotations

import mmap
import time
from pathlib import Path

import pytest

from chaosguard.faults.stress import _memory_worker as worker
from chaosguard.faults.stress._memory_worker import (
    PAGE,
    allocate,
    free_page_reporting,
    huge_pages_help,
    swap_configured,
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
    block = allocate(8 << 20)
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
    block = allocate(4 << 20)
    began = time.monotonic()
    worker.hold(block, period=0.05, deadline=began + 0.2)
    assert time.monotonic() - began >= 0.2 and touched == []
    block.close()
