"""The ``process-signal`` fault kind: send a signal; revert a pause with ``SIGCONT``.

Revertible only when the signal pauses (``SIGSTOP``/``SIGTSTP``): revert resumes the same pid +
start time (a target that vanished counts as reverted). Any other signal is permanent; the contract
closes its record at once as ``not-revertible``. A fault cannot change (signal the processes again
instead). Observe: the paused targets while they are stopped; for a permanent signal, which targets
got it and which of them have exited since.
"""

from __future__ import annotations

import signal
from typing import Any

import psutil

from chaosguard.errors import Refused
from chaosguard.faults.contract import FaultKind, FixedFault
from chaosguard.faults.process.handles import spec_of
from chaosguard.faults.process.spec import PAUSING, ProcessSignalSpec, signal_number
from chaosguard.ledger.store import FaultRecord

__all__ = ["KIND", "ProcessSignalKind"]


def _same_process(target: dict[str, Any]) -> psutil.Process | None:
    """The target if it still runs as the same process (pid and start time), else ``None``."""
    try:
        proc = psutil.Process(int(target["pid"]))
        if (
            abs(proc.create_time() - float(target["create_time"])) < 0.05
            and proc.status() != psutil.STATUS_ZOMBIE
        ):
            return proc
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        pass
    return None


class ProcessSignalKind(FixedFault):
    """Signal processes; revert resumes paused ones."""

    name = "process-signal"
    Spec = ProcessSignalSpec

    def __repr__(self) -> str:
        return f"<fault kind {self.name}>"

    def validate(self, spec: ProcessSignalSpec) -> None:
        """Nothing beyond the spec: the targets were selected (and judged) just before."""

    def revertible(self, spec: ProcessSignalSpec) -> bool:
        """True for a pause (``SIGSTOP``/``SIGTSTP``); any other signal cannot be taken back."""
        return spec.pauses

    def inject(self, spec: ProcessSignalSpec, record: FaultRecord) -> dict[str, Any]:
        """Send ``spec.signal`` to every target still alive; return which ones got it."""
        signum = signal_number(spec.signal)
        hit = []
        for target in spec.targets:
            proc = _same_process(target.model_dump())
            if proc is None:
                continue
            proc.send_signal(signum)
            hit.append(target.pid)
        if not hit:
            raise ProcessLookupError("every target process exited before it could be signalled")
        return {"signalled": hit}

    def revert(self, record: FaultRecord) -> str:
        """Resume paused targets with ``SIGCONT``; permanent signals have nothing to undo.

        The spec is re-validated first (every target by pid *and* start time); a record that does
        not re-validate raises :class:`~chaosguard.errors.Refused` and nothing is signalled.
        """
        try:
            spec = spec_of(record)
        except ValueError as exc:
            raise Refused(f"record {record.id} does not re-validate: {exc}") from None
        if not spec.pauses:
            return "not-revertible"
        resumed = 0
        for target in spec.targets:
            proc = _same_process(target.model_dump())
            if proc is not None:
                proc.send_signal(signal.SIGCONT)
                resumed += 1
        return "reverted" if resumed else "vanished"

    def observe(self, record: FaultRecord) -> bool | dict[str, Any]:
        """A pause: ``{"stopped": [pids]}`` while any target is stopped. A permanent signal:
        ``{"signalled": [pids], "exited": [pids]}`` (it was delivered; that cannot be undone)."""
        signalled = [int(pid) for pid in record.handles.get("signalled", [])]
        targets = [t for t in record.spec["targets"] if int(t["pid"]) in signalled]
        alive = {int(t["pid"]): _same_process(t) for t in targets}
        if record.spec["signal"] not in PAUSING:
            if not signalled:
                return False
            exited = [pid for pid, proc in alive.items() if proc is None]
            return {"signalled": signalled, "exited": exited}
        stopped = []
        for pid, proc in alive.items():
            try:
                if proc is not None and proc.status() == psutil.STATUS_STOPPED:
                    stopped.append(pid)
            except psutil.Error:
                continue
        return {"stopped": stopped} if stopped else False


KIND = ProcessSignalKind()
_: FaultKind[ProcessSignalSpec] = KIND
