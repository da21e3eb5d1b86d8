"""The ``latency-proxy`` fault: a local TCP proxy that adds latency, jitter, a bandwidth cap or resets.

Modules: :mod:`.spec` (what is asked, validation and live pre-checks), :mod:`.toxics` (when a chunk is
due; release-lateness evidence), :mod:`.pipe` (one direction of a connection: the delay FIFO and its
timer), :mod:`.proxy` (the asyncio engine), :mod:`.control` (the worker's JSON-line control socket),
:mod:`.kind` (the fault contract: inject starts the worker, revert stops it), :mod:`.toxic_kind` (the
``latency-toxic`` kind: a toxic change on another run's proxy), :mod:`.lookup` (find a proxy by name),
``__main__`` (the worker process).
"""

from __future__ import annotations

from chaosguard.faults.latency.spec import Spec, Toxic

__all__ = ["Spec", "Toxic"]
