"""Find a running latency proxy by name: in this run first, then in the other live runs of this machine.

A proxy usually belongs to the run that started it. The demo (and any harness that starts the proxy
before ``chaos run``) has it in *another* live run: actions may still change its toxic, recording the
change in their own run as a ``latency-toxic`` fault (see :mod:`.toxic_kind`), but never stop it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaosguard.errors import InvalidArgument
from chaosguard.faults.runs import run_ledger
from chaosguard.ledger.store import FaultRecord, iter_runs

__all__ = ["PROXY_KIND", "TOXIC_KIND", "Found", "find_proxy", "require_proxy"]

PROXY_KIND = "latency-proxy"
TOXIC_KIND = "latency-toxic"


@dataclass(frozen=True)
class Found:
    """A proxy's open record and whether it belongs to this run."""

    record: FaultRecord
    own: bool


def _named(records: list[FaultRecord], name: str) -> FaultRecord | None:
    for record in records:
        if record.kind == PROXY_KIND and record.spec.get("name") == name:
            return record
    return None


def find_proxy(name: str) -> Found | None:
    """The open proxy record named ``name`` (this run's first, else a live run's), or ``None``."""
    run = run_ledger()
    own = _named(run.state().open_records, name)
    if own is not None:
        return Found(own, True)
    for state in iter_runs():
        if state.run_id == run.run_id or not state.runner_alive():
            continue
        other = _named(state.open_records, name)
        if other is not None:
            return Found(other, False)
    return None


def require_proxy(name: str) -> Found:
    """Like :func:`find_proxy`, but a missing proxy is an :class:`InvalidArgument` on ``name``."""
    found = find_proxy(name) if isinstance(name, str) else None
    if found is None:
        raise InvalidArgument("name", f"no latency proxy named {name!r} is running")
    return found


def toxic_record(proxy: FaultRecord) -> FaultRecord | None:
    """This run's open ``latency-toxic`` record for ``proxy`` (a proxy of another run), if any."""
    for record in run_ledger().state().open_records:
        if record.kind == TOXIC_KIND and record.spec.get("proxy_record") == proxy.id:
            return record
    return None
