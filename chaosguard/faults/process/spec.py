"""What a process signal fault is asked to do: which signal goes to which processes."""

from __future__ import annotations

import signal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chaosguard.local.processes import ProcessTarget

__all__ = ["PAUSING", "ProcessSignalSpec", "ProcessTarget", "signal_name", "signal_number"]

#: the signals that pause a process; ``SIGCONT`` undoes them
PAUSING = frozenset({"SIGSTOP", "SIGTSTP"})


def signal_number(name: str | int) -> int:
    """``"SIGTERM"``, ``"TERM"``, ``"15"`` or ``15`` → 15; ``KeyError``/``ValueError`` for anything
    else (a boolean included)."""
    if isinstance(name, bool) or not isinstance(name, str | int):
        raise ValueError(f"expected a signal name or number (got {type(name).__name__})")
    text = str(name).strip().upper()
    if text.isdigit():
        return signal.Signals(int(text)).value
    if not text.startswith("SIG"):
        text = "SIG" + text
    return signal.Signals[text].value


def signal_name(name: str | int) -> str:
    """The canonical name of a signal given by name or number (``9`` → ``"SIGKILL"``)."""
    return signal.Signals(signal_number(name)).name


class ProcessSignalSpec(BaseModel):
    """Which signal goes to which processes (each by pid and start time)."""

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

    @property
    def pauses(self) -> bool:
        """True for ``SIGSTOP``/``SIGTSTP``: the fault is a pause that ``SIGCONT`` undoes."""
        return self.signal in PAUSING
