"""Process signal fault: deliver a signal to processes named by pid (selection happens elsewhere).

``SIGSTOP``/``SIGTSTP`` are revertible (revert sends ``SIGCONT`` to the same pid + start time); every
other signal is permanent and its record is evidence of what was signalled, closed at once by the action.
A target that vanished counts as reverted.
"""

from __future__ import annotations

import signal
from typing import Any

import psutil
from pydantic import BaseModel, ConfigDict, Field, field_validator

from chaosguard.ledger.store import FaultRecord
from chaosguard.local.processes import ProcessTarget

__all__ = [
    "ProcessTarget",
    "ProcessSignalSpec",
    "ProcessSignalKind",
    "KIND",
    "signal_number",
    "PAUSING",
]

PAUSING = {"SIGSTOP", "SIGTSTP"}


def signal_number(name: str) -> int:
    """``"SIGTERM"``, ``"TERM"`` or ``"15"`` → 15; ``ValueError`` for anything else."""
    text = name.strip().upper()
    if text.isdigit():
        return signal.Signals(int(text)).value
    if not text.startswith("SIG"):
        text = "SIG" + text
    return signal.Signals[text].value


class ProcessSignalSpec(BaseModel):
    """Which signal goes to which processes."""

    model_config = ConfigDict(frozen=True)

    signal: str
    targets: tuple[ProcessTarget, ...] = Field(min_length=1)

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str) -> str:
        try:
            return signal.Signals(signal_number(value)).name
        except (KeyError, ValueError):
            raise ValueError("unknown signal name or number") from None


def _same_process(target: dict[str, Any]) -> psutil.Process | None:
    try:
        proc = psutil.Process(int(target["pid"]))
        if (
            abs(proc.create_time() - float(target["create_time"])) < 0.05
            and proc.status() != "zombie"
        ):
            return proc
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        pass
    return None


class ProcessSignalKind:
    """Signal processes; revert resumes stopped ones."""

    name = "process-signal"
    Spec = ProcessSignalSpec
    revertible = True

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
        """Resume stopped targets with SIGCONT; permanent signals have nothing to undo."""
        if record.spec["signal"] not in PAUSING:
            return "not-revertible"
        resumed = 0
        for target in record.spec["targets"]:
            proc = _same_process(target)
            if proc is not None:
                proc.send_signal(signal.SIGCONT)
                resumed += 1
        return "reverted" if resumed else "vanished"


KIND = ProcessSignalKind()
