"""The guarded process skips the interpreter's final garbage collection, and only at exit.

Each case runs a fresh interpreter: what is checked happens while it exits. An ``atexit``
handler registered *before* the guard's runs *after* it (``atexit`` runs handlers last in, first
out), so it sees what the guard's handler did.
"""

from __future__ import annotations

import subprocess
import sys

PRELUDE = (
    "import atexit, gc, sys\n"
    "atexit.register(lambda: print('frozen', gc.get_freeze_count(), file=sys.stderr))\n"
)


def _exit_of(body: str) -> tuple[str, str]:
    out = subprocess.run(
        [sys.executable, "-c", PRELUDE + body], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout, out.stderr


def test_the_session_freezes_every_object_at_exit_not_before() -> None:
    stdout, stderr = _exit_of(
        "from chaosguard.guard import control\n"
        "control._current()\n"
        "print('during the run', gc.get_freeze_count())\n"
    )
    assert stdout.strip() == "during the run 0"  # nothing is frozen while the process works
    frozen = int(stderr.split("frozen")[-1])
    assert frozen > 10_000  # every object of a process that loaded the guard


def test_registered_once_however_many_sessions_the_process_makes() -> None:
    stdout, _ = _exit_of(
        "import atexit\n"
        "from chaosguard.guard import control\n"
        "before = atexit._ncallbacks()\n"
        "for _ in range(3):\n"
        "    control._current()\n"
        "    control.cleanup_control()\n"
        "print(atexit._ncallbacks() - before)\n"
    )
    # the first session registers the guard's handler (and the modules it loads theirs); the
    # next two sessions add nothing
    first = int(stdout.strip())
    stdout_once, _ = _exit_of(
        "import atexit\n"
        "from chaosguard.guard import control\n"
        "before = atexit._ncallbacks()\n"
        "control._current()\n"
        "control.cleanup_control()\n"
        "print(atexit._ncallbacks() - before)\n"
    )
    assert first == int(stdout_once.strip())


def test_a_process_without_a_guard_session_collects_as_usual() -> None:
    _, stderr = _exit_of("import chaosguard.guard.control\n")
    assert int(stderr.split("frozen")[-1]) == 0
