"""One experiment of a suite as its own ``chaos run`` process, guarded by the suite's control file.

Each experiment runs in a fresh process (its own runner id, ledger run, guard session): nothing
leaks from one experiment into the next, and a crash ends one experiment, not the suite. The command
line is::

    chaos --no-version-check --log-file DIR/chaostoolkit.log run --journal-path DIR/journal.json \\
          --control-file DIR/chaosguard-control.yaml [suite chaos_args] [experiment chaos_args] \\
          EXPERIMENT

with ``CHAOSGUARD_POLICY`` set to the suite's policy file. The control file declares the chaosguard
control globally, with the suite's ``policy_file`` and ``guards`` as arguments
(:func:`control_arguments`): Chaos Toolkit applies global controls to any experiment, so every
experiment is guarded even when it declares no control. The suite's policy is the operator's: a
``policy_file`` the experiment's own control names is merged into it, stricter wins
(:mod:`chaosguard.guard.wiring`, the same resolution as ``chaos guard check`` and the run). An
experiment that declares the chaosguard control too is still guarded once: the global
registration is configured first and its arguments win, so the file carries the suite's guards
*and* those the experiment's control passes; the guards of the experiment's chaosguard extension
are watched as well.

With ``CHAOSGUARD_EVENTS`` (or ``OTEL_*``) set, the game day is one event stream (one trace): each
child appends to the runner's stream (:func:`experiment_env`; ``-``, the runner's stderr, is handed
down as an inherited descriptor, since the child's own stderr goes to ``output.log``) and its
experiment span is a child of the runner's (``TRACEPARENT``).

The child gets its own session: Ctrl-C (or a timeout) reaches it as one SIGINT sent by the runner,
which Chaos Toolkit turns into a graceful interruption (the guard reverts faults and plays the
rollbacks). The child starts with SIGINT at its default even when the runner ignores it (a runner
started as a background job of a script, or under ``nohup`` from such a shell, ignores SIGINT and
would hand that down): else that SIGINT would do nothing, and every timeout would wait the whole
grace period for SIGTERM.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chaosguard.errors import ChaosGuardError
from chaosguard.guard.wiring import GUARD_MODULE, GUARD_MODULES, own_control_arguments
from chaosguard.telemetry import EVENTS_ENV
from chaosguard.telemetry import child_env as telemetry_env

__all__ = [
    "ChaosRun",
    "Interrupted",
    "chaos_command",
    "chaos_executable",
    "child_env",
    "control_arguments",
    "experiment_env",
    "GUARD_MODULES",
    "own_control_arguments",
    "run_chaos",
    "sigterm_as_interrupt",
    "write_control_file",
]

GRACE_S = 60.0  # after SIGINT, how long the guard may take to revert and write the journal


class Interrupted(ChaosGuardError):
    """The runner was asked to stop (SIGINT or SIGTERM); ``run`` is how the ``chaos run`` ended.

    ``run`` is None when no experiment was running (the signal came between two steps).
    """

    def __init__(self, run: ChaosRun | None = None) -> None:
        super().__init__("interrupted (SIGINT/SIGTERM)")
        self.run = run


@dataclass(frozen=True)
class ChaosRun:
    """How a ``chaos run`` process ended."""

    rc: int | None
    duration_s: float
    timed_out: bool = False
    interrupted: bool = False
    killed: bool = False


def chaos_executable() -> str:
    """The ``chaos`` next to this interpreter (the same venv), else the one on ``PATH``."""
    local = Path(sys.executable).with_name("chaos")
    if local.exists():
        return str(local)
    return shutil.which("chaos") or "chaos"


def control_arguments(
    policy_file: str | None, guards: Sequence[Any], experiment: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Arguments of the global chaosguard control for one experiment, and notes for the report.

    The global registration is configured before the experiment's own, and the first one's arguments
    win: so the suite's guards are followed by the guards the experiment's own control passes as
    arguments (they would be lost otherwise). The suite's policy file is the operator's; one the
    experiment's control names is merged into it at run time, stricter wins (noted). Guards of
    the experiment's chaosguard extension are always watched too (the guard adds control guards
    to them).
    """
    own = own_control_arguments(experiment)
    arguments: dict[str, Any] = {}
    notes: list[str] = []
    if policy_file:
        arguments["policy_file"] = policy_file
        theirs = own.get("policy_file")
        if theirs and theirs != policy_file:
            notes.append(
                f"its chaosguard control names policy_file {theirs}; it can only make the "
                f"suite policy {policy_file} stricter"
            )
    if guards:
        own_guards = own.get("guards") if isinstance(own.get("guards"), list) else []
        arguments["guards"] = [
            g.model_dump(mode="json", exclude_none=True) if hasattr(g, "model_dump") else dict(g)
            for g in guards
        ] + list(own_guards or [])
    return arguments, notes


def write_control_file(path: Path, arguments: Mapping[str, Any]) -> Path:
    """Write the global chaosguard control (``--control-file``) with ``arguments``."""
    doc = {
        "chaosguard": {
            "provider": {"type": "python", "module": GUARD_MODULE, "arguments": dict(arguments)}
        }
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `chaos gameday run`: the suite's shared policy and guards, applied to\n"
        "# this experiment as a global Chaos Toolkit control.\n"
        + yaml.safe_dump(doc, sort_keys=False)
    )
    return path


def chaos_command(
    experiment: str,
    journal: Path,
    log_file: Path,
    control_file: Path,
    args: Sequence[str] = (),
    chaos: str | None = None,
) -> list[str]:
    """The ``chaos run`` command line of one experiment."""
    return [
        chaos or chaos_executable(),
        "--no-version-check",
        "--log-file",
        str(log_file),
        "run",
        "--journal-path",
        str(journal),
        "--control-file",
        str(control_file),
        *args,
        experiment,
    ]


@contextmanager
def _sigint_default() -> Iterator[None]:
    """SIGINT at its default while a child is started, when this process ignores it (a disposition
    children inherit); restored after. Only the main thread may change it: elsewhere, nothing."""
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        yield


def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass


def _finish(proc: subprocess.Popen[bytes], grace_s: float) -> bool:
    """SIGINT, wait ``grace_s``; then SIGTERM, 5 s; then SIGKILL. True when it had to be killed."""
    _signal(proc, signal.SIGINT)
    try:
        proc.wait(timeout=grace_s)
        return False
    except subprocess.TimeoutExpired:
        pass
    _signal(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
        return False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return True


def run_chaos(
    cmd: Sequence[str],
    env: dict[str, str],
    output: Path,
    timeout_s: float,
    tick: Callable[[], None] | None = None,
    grace_s: float = GRACE_S,
) -> ChaosRun:
    """Run ``cmd`` (stdout and stderr to ``output``) for at most ``timeout_s`` seconds.

    :raises Interrupted: after stopping the child gracefully, when the runner got SIGINT/SIGTERM;
        its ``run`` is the :class:`ChaosRun`.
    """
    started = time.monotonic()
    output.parent.mkdir(parents=True, exist_ok=True)
    events_fd = os.dup(2) if env.get(EVENTS_ENV) == "-" else None
    if events_fd is not None:  # the events go to our stderr, not to the child's output.log
        env = {**env, EVENTS_ENV: f"/dev/fd/{events_fd}"}
    with output.open("wb") as sink:
        try:
            with _sigint_default():  # only while the child is started: the runner keeps its own
                proc = subprocess.Popen(
                    list(cmd),
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    pass_fds=(events_fd,) if events_fd is not None else (),
                )
        finally:
            if events_fd is not None:
                os.close(events_fd)
        try:
            while True:
                try:
                    rc = proc.wait(timeout=0.2)
                    return ChaosRun(rc, time.monotonic() - started)
                except subprocess.TimeoutExpired:
                    pass
                if tick is not None:
                    tick()
                if time.monotonic() - started > timeout_s:
                    killed = _finish(proc, grace_s)
                    return ChaosRun(
                        proc.returncode, time.monotonic() - started, timed_out=True, killed=killed
                    )
        except (KeyboardInterrupt, Interrupted):
            killed = _finish(proc, grace_s)
            raise Interrupted(
                ChaosRun(
                    proc.returncode, time.monotonic() - started, interrupted=True, killed=killed
                )
            ) from None


def sigterm_as_interrupt() -> Callable[[], None]:
    """Turn SIGTERM into :class:`Interrupted` (main thread only); return what restores it."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted()

    previous = signal.signal(signal.SIGTERM, handler)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def experiment_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` plus what the child needs to continue this process's event stream and trace
    (:func:`chaosguard.telemetry.child_env`: the stream's absolute path, ``TRACEPARENT``)."""
    return {**env, **telemetry_env()}


def child_env(base: dict[str, str] | None, policy_file: str | None) -> dict[str, str]:
    """The environment of a ``chaos run``: ours, with ``CHAOSGUARD_POLICY`` = the suite policy."""
    env = dict(os.environ if base is None else base)
    if policy_file:
        env["CHAOSGUARD_POLICY"] = policy_file
    return env
