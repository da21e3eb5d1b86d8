"""Bytecode of the package, as an installed copy has it.

``pip install`` compiles every module when it installs a package; an editable install leaves that to
the first import, which writes ``__pycache__`` — unless ``PYTHONDONTWRITEBYTECODE`` is set (it is on
the development machine), in which case every ``chaos run`` and every fault worker compiled the
package's modules again, about 1.5 ms each (≈ 130 ms for a guarded run's modules), and the
benchmarks measured that compilation instead of the start-up a user sees. Each benchmark that starts
processes calls :func:`compile_package` first: only changed modules are compiled.
"""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compile_package() -> bool:
    """Compile ``chaosguard`` to bytecode where its cached copy is missing or stale; True when
    every module compiled."""
    return bool(compileall.compile_dir(str(ROOT / "chaosguard"), quiet=1))
