"""What a guarded run imports at start-up: nothing a trivial experiment does not use.

The guard's modules are imported in a fresh interpreter, as ``chaos run`` does when the control
loads; process selection (psutil), the Kubernetes client and plans, Chaos Mesh, the worker-handle
models and numpy must wait until a run asks for them. (``benchmarks/startup_overhead.py`` measures
what this costs; this test only pins what must not be there.)
"""

from __future__ import annotations

import subprocess
import sys

GUARD_PATH = (
    "chaosguard.guard",
    "chaosguard.guard.control",
    "chaosguard.guard.session",
    "chaosguard.guard.aftermath",
    "chaosguard.faults.runs",
    "chaosguard.journal.logs",
    "chaosguard.journal.publish",
    "chaosguard.journal.redact",
)
NOT_ON_THE_PATH = (
    "psutil",
    "numpy",
    "kubernetes",
    "chaosguard.kube.api",
    "chaosguard.local.processes",
    "chaosguard.policy.kube_plans",
    "chaosguard.policy.kube_blast",
    "chaosguard.policy.schema",
    "chaosguard.ledger.handles",
    "chaosguard.faults.chaosmesh.kind",
    "chaosguard.faults.chaosmesh.handles",
)


def test_the_guard_path_leaves_heavy_modules_alone() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {GUARD_PATH!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(','.join(m for m in {NOT_ON_THE_PATH!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
