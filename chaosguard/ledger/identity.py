"""Identify processes across time: a pid plus its start time, so a reused pid is never mistaken."""

from __future__ import annotations

import os

import psutil


def process_start_time(pid: int) -> float | None:
    """Start time (epoch seconds) of ``pid``, or ``None`` when no such process exists."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, ValueError):
        return None


def is_alive(pid: int, start_time: float | None) -> bool:
    """True when ``pid`` runs and is the same process that started at ``start_time``."""
    if pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        current = proc.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    return start_time is None or abs(current - start_time) < 0.05


def self_identity() -> tuple[int, float]:
    """This process's pid and start time."""
    pid = os.getpid()
    start = process_start_time(pid)
    assert start is not None
    return pid, start
