"""What a revert of ``latency-proxy`` / ``latency-toxic`` trusts in a record.

The worker is stopped only by pid *and* start time (or by the record flag in its command line), and
a control socket is contacted or unlinked only when it is an entry of ``<state>/latency`` (both
resolved, the entry itself not followed) that is a socket or absent: a record cannot point revert
at a file or a socket anywhere else.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pydantic import ConfigDict

from chaosguard.faults.contract import revalidate
from chaosguard.faults.latency.spec import Spec, ToxicChange
from chaosguard.ledger.identity import WorkerHandles
from chaosguard.ledger.paths import inside, state_dir
from chaosguard.ledger.store import FaultRecord

__all__ = ["ProxyHandles", "check_proxy", "check_toxic", "safe_control", "sockets_dir"]


class ProxyHandles(WorkerHandles):
    """A proxy worker's handles: its process and, optionally, its control socket path."""

    model_config = ConfigDict(frozen=True, extra="allow")

    control: str | None = None


def sockets_dir() -> Path:
    """Where control sockets live (``<state>/latency``)."""
    return state_dir() / "latency"


def safe_control(path: str, field: str) -> Path:
    """``path`` when it is a socket (or nothing) directly in :func:`sockets_dir`; else
    :class:`ValueError` naming ``field``."""
    found = None if os.path.islink(sockets_dir()) else inside(path, sockets_dir())
    if found is None:
        raise ValueError(
            f"{field}: {path!r} is not in the state dir's socket folder {sockets_dir()}; "
            "never contacted or removed"
        )
    try:
        mode = os.lstat(found).st_mode
    except FileNotFoundError:
        return found
    if not stat.S_ISSOCK(mode):
        raise ValueError(f"{field}: {found} is not a socket; never contacted or removed")
    return found


def check_proxy(record: FaultRecord) -> str:
    """Re-validate a ``latency-proxy`` record; the process and socket its revert acts on."""
    revalidate(Spec, record.spec, "spec")
    handles = revalidate(ProxyHandles, record.handles, "handles")
    where = handles.describe(record.id)
    if handles.control is not None:
        where += f"; unlink {safe_control(handles.control, 'handles.control')}"
    return where


def check_toxic(record: FaultRecord) -> str:
    """Re-validate a ``latency-toxic`` record; the control socket its revert talks to."""
    spec = revalidate(ToxicChange, record.spec, "spec")
    path = safe_control(spec.control, "spec.control")
    return f"restore toxic {spec.restore.model_dump(mode='json')} via {path}"
