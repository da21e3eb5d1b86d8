"""Actions on local processes: send a signal, pause (SIGSTOP) and resume (SIGCONT).

Targets come from a pid file or a regular expression over the process name and command line. The
runner, its parent processes and pid 1 are never matched, and a selection larger than
``max_processes`` is refused before any signal is sent. Every signal is recorded in the fault
ledger: a pause is reverted by ``resume_processes`` (or by the guard / ``chaos cleanup``), other
signals are kept as evidence.

Every argument's type is checked first (one line naming it); then, right before any signal, the
operator's policy judges the exact processes about to be signalled
(:func:`chaosguard.policy.gate.admit`: kill switch, windows, freezes, ``local`` limits and
patterns, ``allow_unguarded``), with or without the guard control.
"""

from typing import Any

from chaosguard import faults
from chaosguard.actions._args import check_types, checked_by
from chaosguard.errors import InvalidArgument
from chaosguard.faults.process.spec import ProcessSignalSpec, signal_name
from chaosguard.local.processes import check_selection, describe_processes, select_processes
from chaosguard.policy.gate import admit, admit_processes
from chaosguard.validation import parse

__all__ = ["signal_processes", "pause_processes", "resume_processes"]


def _summary(record: faults.FaultRecord) -> dict[str, Any]:
    return {
        "record": record.id,
        "signal": record.spec["signal"],
        "processes": [{"pid": t["pid"], "name": t["name"]} for t in record.spec["targets"]],
    }


def _signal_name(signal: str | int) -> str:
    try:
        return signal_name(signal)
    except (KeyError, ValueError):
        raise InvalidArgument("signal", f"unknown signal name or number (got {signal!r})") from None


def _check(values: dict[str, Any]) -> None:
    """The arguments' own rules (before any process is looked at)."""
    if "signal" in values:
        _signal_name(values["signal"])
    check_selection(values["pid_file"], values["name_pattern"], values["max_processes"])


def _signal(
    func: str, signal: str | int, pid_file: str, name_pattern: str, max_processes: int
) -> dict[str, Any]:
    """Select, judge (policy gate), record, signal: the body of the process actions."""
    name = _signal_name(signal)
    arguments = {"pid_file": pid_file, "name_pattern": name_pattern, "max_processes": max_processes}
    policy = admit(f"{__name__}:{func}", arguments)
    targets = select_processes(pid_file, name_pattern, max_processes)
    spec = parse(ProcessSignalSpec, signal=name, targets=targets)
    admit_processes(policy, describe_processes(targets))  # exactly what is about to be signalled
    # a pause stays open until resumed; any other signal is closed at once, kept as evidence
    return _summary(faults.inject("process-signal", spec))


@checked_by(_check, signal=str | int)
def signal_processes(
    signal: str = "SIGTERM",
    pid_file: str = "",
    name_pattern: str = "",
    max_processes: int = 1,
    configuration: dict = None,
    secrets: dict = None,
) -> dict[str, Any]:
    """Send ``signal`` to the processes named by ``pid_file`` or matched by ``name_pattern``.

    :param signal: signal name or number (``SIGTERM``, ``KILL``, ``"9"`` or ``9``); ``SIGSTOP``
        pauses (the one revertible signal, with ``SIGTSTP``).
    :param pid_file: path of a file holding one pid (give this or ``name_pattern``).
    :param name_pattern: regular expression searched in each process's name and command line.
    :param max_processes: refuse when more processes than this match (a blast-radius limit;
        default 1).
    :returns: ``{"record", "signal", "processes": [{"pid", "name"}]}``.
    """
    check_types(signal_processes, locals())
    return _signal("signal_processes", signal, pid_file, name_pattern, max_processes)


@checked_by(_check)
def pause_processes(
    pid_file: str = "",
    name_pattern: str = "",
    max_processes: int = 1,
    configuration: dict = None,
    secrets: dict = None,
) -> dict[str, Any]:
    """Freeze the selected processes with SIGSTOP until ``resume_processes`` (or any revert) runs.

    :param pid_file: path of a file holding one pid (give this or ``name_pattern``).
    :param name_pattern: regular expression searched in each process's name and command line.
    :param max_processes: refuse when more processes than this match (default 1).
    """
    check_types(pause_processes, locals())
    return _signal("pause_processes", "SIGSTOP", pid_file, name_pattern, max_processes)


def resume_processes(configuration: dict = None, secrets: dict = None) -> list[dict[str, Any]]:
    """Resume (SIGCONT) every process this run paused; harmless when none is (use as a rollback)."""
    return [_summary(faults.revert(r)) for r in faults.open_records("process-signal")]
