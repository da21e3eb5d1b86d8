"""The ``latency-proxy`` fault kind: inject starts a proxy worker, revert stops it.

Handles kept in the record: ``pid`` and ``create_time`` of the worker, ``listen`` (the bound address,
useful when the spec asked for port 0), ``control`` (the control socket path) and ``toxic`` (the toxic in
force; every change appends an ``update`` line to the ledger, so the file keeps the history).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from chaosguard.errors import InjectionError
from chaosguard.faults.latency import control
from chaosguard.faults.latency.spec import Spec as ProxySpec
from chaosguard.faults.latency.spec import Toxic
from chaosguard.faults.workers import spawn_worker, terminate_record
from chaosguard.ledger.paths import ensure_dir, state_dir
from chaosguard.ledger.store import FaultRecord

__all__ = ["KIND", "LatencyProxyKind", "control_of", "control_path", "set_toxic", "status"]

WORKER_MODULE = "chaosguard.faults.latency"


def control_path(record: FaultRecord) -> Path:
    """Where the worker of ``record`` listens for control requests."""
    return ensure_dir(state_dir() / "latency") / f"{record.id.rsplit('.', 1)[-1]}.sock"


class LatencyProxyKind:
    """A TCP proxy ``listen`` → ``upstream`` with a live-changeable toxic, in its own worker process."""

    name = "latency-proxy"
    Spec = ProxySpec
    revertible = True

    def inject(self, spec: ProxySpec, record: FaultRecord) -> dict[str, Any]:
        """Start the worker; return its handles once it listens."""
        args = [
            "--listen",
            spec.listen,
            "--upstream",
            spec.upstream,
            "--toxic",
            spec.toxic.model_dump_json(),
            "--control",
            str(control_path(record)),
        ]
        handles = spawn_worker(record, WORKER_MODULE, args)
        handles["toxic"] = spec.toxic.model_dump(mode="json")
        handles["toxic_since"] = time.time()
        return handles

    def revert(self, record: FaultRecord) -> str:
        """Stop the worker (idempotent: a worker already gone counts as ``vanished``)."""
        outcome = terminate_record(record)
        with contextlib.suppress(OSError):
            control_of(record).unlink()
        return outcome


KIND = LatencyProxyKind()


def set_toxic(record: FaultRecord, toxic: Toxic) -> dict[str, Any]:
    """Replace the toxic of ``record``'s running proxy; return the handles to append to the record."""
    try:
        reply = control.request(
            control_of(record), {"op": "set", "toxic": toxic.model_dump(mode="json")}
        )
    except control.ControlError as exc:
        raise InjectionError(f"latency proxy '{record.spec.get('name')}': {exc}") from exc
    return {"toxic": reply["toxic"], "toxic_since": time.time()}


def status(record: FaultRecord) -> dict[str, Any]:
    """Counters and toxic of ``record``'s running proxy (connections, resets, bytes per direction)."""
    reply = control.request(control_of(record), {"op": "get"})
    reply.pop("ok", None)
    return reply


def control_of(record: FaultRecord) -> Path:
    """The control socket of ``record``'s worker."""
    path = record.handles.get("control")
    return Path(path) if path else control_path(record)
