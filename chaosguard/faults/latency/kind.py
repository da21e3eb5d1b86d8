"""The latency kinds: ``latency-proxy`` (a proxy worker of this run) and ``latency-toxic`` (this
run's toxic on a proxy that another run owns).

``latency-proxy``: validate is :func:`~.spec.preflight` (the listen address is free and local, the
upstream answers); inject starts the worker (:mod:`chaosguard.faults.latency.__main__`) and keeps in
the handles its ``pid`` and ``create_time``, ``listen`` (the bound address, useful when the spec
asked for port 0), ``control`` (the control socket path) and ``toxic`` (the toxic in force). A
change may replace the toxic only (name, listen and upstream stay): the ledger's ``change`` line
comes first, then the worker gets the toxic over its control socket, then an ``update`` line records
the toxic in force, so the ledger file is the history of the toxic. Revert stops the worker
(``vanished`` when it is gone already).

``latency-toxic``: inject and change set the toxic over the owner's control socket; revert puts back
``spec.restore``, the toxic the proxy had before this run's first change. A proxy that has stopped
meanwhile counts as ``vanished``; a proxy that is there but does not answer makes revert fail (the
record stays open for ``chaos cleanup``).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from chaosguard.errors import InjectionError, InvalidArgument, Refused, RevertError
from chaosguard.faults.contract import FaultKind
from chaosguard.faults.latency import control
from chaosguard.faults.latency.handles import check_proxy, check_toxic, safe_control
from chaosguard.faults.latency.spec import Spec as ProxySpec
from chaosguard.faults.latency.spec import Toxic, ToxicChange, preflight
from chaosguard.faults.workers import record_processes, spawn_worker, terminate_record
from chaosguard.ledger.paths import ensure_dir, state_dir
from chaosguard.ledger.store import FaultRecord

__all__ = [
    "PROXY_KIND",
    "TOXIC_KIND",
    "LatencyProxyKind",
    "LatencyToxicKind",
    "control_of",
    "control_path",
    "status",
]

WORKER_MODULE = "chaosguard.faults.latency"


def control_path(record: FaultRecord) -> Path:
    """Where the worker of ``record`` listens for control requests."""
    return ensure_dir(state_dir() / "latency") / f"{record.id.rsplit('.', 1)[-1]}.sock"


def control_of(record: FaultRecord) -> Path:
    """The control socket of ``record``'s worker."""
    path = record.handles.get("control")
    return Path(path) if path else control_path(record)


def status(record: FaultRecord) -> dict[str, Any]:
    """Counters and toxic of ``record``'s running proxy (connections, resets, bytes, lateness)."""
    reply = control.request(control_of(record), {"op": "get"})
    reply.pop("ok", None)
    return reply


def _set_toxic(path: str | Path, toxic: Toxic) -> dict[str, Any]:
    """Set ``toxic`` on the worker at ``path``; the handles that record it."""
    reply = control.request(path, {"op": "set", "toxic": toxic.model_dump(mode="json")})
    return {"toxic": reply["toxic"], "toxic_since": time.time()}


def _only_toxic_differs(record: FaultRecord, new: dict[str, Any], keep: str) -> None:
    for field, value in record.spec.items():
        if field != "toxic" and new.get(field) != value:
            raise InvalidArgument(
                field, f"{keep}; only the toxic can change (got {new.get(field)!r}, runs {value!r})"
            )


class LatencyProxyKind:
    """A TCP proxy ``listen`` → ``upstream`` with a live-changeable toxic, in its own worker."""

    name = "latency-proxy"
    Spec = ProxySpec

    def __repr__(self) -> str:
        return f"<fault kind {self.name}>"

    def validate(self, spec: ProxySpec) -> None:
        """The listen address is free and local; something answers at the upstream."""
        preflight(spec)

    def revertible(self, spec: ProxySpec) -> bool:
        """Always: stopping the worker ends the fault."""
        return True

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
            "--max-connections",
            str(spec.max_connections),
            "--processes",
            str(spec.processes),
        ]
        handles = spawn_worker(record, WORKER_MODULE, args)
        handles["toxic"] = spec.toxic.model_dump(mode="json")
        handles["toxic_since"] = time.time()
        return handles

    def validate_change(self, record: FaultRecord, new_spec: ProxySpec) -> None:
        """Only the toxic of a running proxy can change."""
        keep = "a running latency proxy keeps its name, listen and upstream"
        _only_toxic_differs(record, new_spec.model_dump(mode="json"), keep)

    def change(self, record: FaultRecord, new_spec: ProxySpec) -> dict[str, Any]:
        """Give the running worker ``new_spec.toxic``; its connections stay open."""
        return _set_toxic(control_of(record), new_spec.toxic)

    def revert(self, record: FaultRecord) -> str:
        """Stop the worker (idempotent: a worker already gone counts as ``vanished``).

        Only after the record re-validates (a pid only with its start time, the control socket only
        in the state dir): otherwise :class:`~chaosguard.errors.Refused` and nothing is touched.
        """
        try:
            check_proxy(record)
            sock = safe_control(str(control_of(record)), "handles.control")
        except ValueError as exc:
            raise Refused(f"record {record.id} does not re-validate: {exc}") from None
        outcome = terminate_record(record)
        with contextlib.suppress(OSError):
            sock.unlink()
        return outcome

    def observe(self, record: FaultRecord) -> bool | dict[str, Any]:
        """While the worker runs: its :func:`status` (toxic, counters) and ``pids``; else false."""
        procs = record_processes(record)
        if not procs:
            return False
        pids = sorted(p.pid for p in procs)
        try:
            return {**status(record), "pids": pids}
        except control.ControlError:
            return {"pids": pids}  # running, but its control socket does not answer (yet)


class LatencyToxicKind:
    """Change a running proxy's toxic; revert restores the previous one."""

    name = "latency-toxic"
    Spec = ToxicChange

    def __repr__(self) -> str:
        return f"<fault kind {self.name}>"

    def validate(self, spec: ToxicChange) -> None:
        """Nothing beyond the spec (the action read ``restore`` from the proxy just before)."""

    def revertible(self, spec: ToxicChange) -> bool:
        """Always: ``restore`` is put back."""
        return True

    def inject(self, spec: ToxicChange, record: FaultRecord) -> dict[str, Any]:
        """Set ``spec.toxic`` on the proxy."""
        try:
            return _set_toxic(spec.control, spec.toxic)
        except control.ControlError as exc:
            raise InjectionError(f"latency proxy '{spec.proxy}': {exc}") from exc

    def validate_change(self, record: FaultRecord, new_spec: ToxicChange) -> None:
        """Only the toxic may change (same proxy, same toxic to restore)."""
        keep = "a toxic change stays on its proxy and keeps the toxic to restore"
        _only_toxic_differs(record, new_spec.model_dump(mode="json"), keep)

    def change(self, record: FaultRecord, new_spec: ToxicChange) -> dict[str, Any]:
        """Set ``new_spec.toxic`` on the proxy."""
        return _set_toxic(new_spec.control, new_spec.toxic)

    def revert(self, record: FaultRecord) -> str:
        """Put back ``spec.restore``; ``vanished`` when the proxy has stopped.

        Only through a control socket in the state dir (the record re-validates first, else
        :class:`~chaosguard.errors.Refused` and nothing is contacted).
        """
        try:
            check_toxic(record)
            spec = ToxicChange.model_validate(record.spec)
        except ValueError as exc:
            raise Refused(f"record {record.id} does not re-validate: {exc}") from None
        restore = spec.restore
        try:
            _set_toxic(safe_control(spec.control, "spec.control"), restore)
        except control.ControlError as exc:
            if exc.gone:
                return "vanished"
            raise RevertError(f"latency-toxic {record.id}: {exc}") from exc
        return "reverted"

    def observe(self, record: FaultRecord) -> bool | dict[str, Any]:
        """``{"proxy", "toxic"}`` while the proxy runs with this record's toxic; else false."""
        try:
            reply = control.request(record.spec["control"], {"op": "get"})
        except control.ControlError as exc:
            if exc.gone:
                return False
            raise
        in_force = Toxic.model_validate(reply["toxic"])
        if in_force != Toxic.model_validate(record.spec["toxic"]):
            return False
        return {"proxy": record.spec["proxy"], "toxic": reply["toxic"]}


PROXY_KIND = LatencyProxyKind()
TOXIC_KIND = LatencyToxicKind()

_proxy: FaultKind[ProxySpec] = PROXY_KIND
_toxic: FaultKind[ToxicChange] = TOXIC_KIND
