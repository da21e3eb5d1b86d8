"""The Chaos Mesh sweep names its kinds without importing them: the names must be the kinds'."""

from __future__ import annotations

import subprocess
import sys

from chaosguard.faults.chaosmesh import sweep
from chaosguard.faults.chaosmesh.kind import NETWORK_KIND, STRESS_KIND


def test_names_are_the_kinds_names() -> None:
    assert (NETWORK_KIND.name, STRESS_KIND.name) == sweep._NAMES


def test_importing_cleanup_does_not_load_chaos_mesh_or_kubernetes() -> None:
    code = (
        "import sys, chaosguard.faults.cleanup\n"
        "bad = [m for m in ('chaosguard.faults.chaosmesh.kind', 'chaosguard.kube.api', "
        "'kubernetes', 'psutil') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
