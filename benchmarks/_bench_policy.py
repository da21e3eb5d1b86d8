"""The operator policy of the benchmarks that call chaosguard's actions directly.

They measure a fault, not the guard, so they run the actions outside a guarded run; chaosguard
refuses that unless the operator's policy says ``allow_unguarded: true``. Nothing else is loosened.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["allow_unguarded_actions"]


def allow_unguarded_actions() -> Path:
    """Write a policy allowing unguarded actions and make it ``$CHAOSGUARD_POLICY``; return it."""
    path = Path(tempfile.mkdtemp(prefix="cg-bench-policy-")) / "operator.yaml"
    path.write_text("allow_unguarded: true\n")
    os.environ["CHAOSGUARD_POLICY"] = str(path)
    return path
