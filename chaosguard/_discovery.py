"""Build the ``chaos discover`` catalogue from the package tree (no hand-kept list to drift)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from chaoslib.discovery.discover import (
    discover_actions,
    discover_probes,
    initialize_discovery_result,
)

ACTION_PACKAGE = "chaosguard.actions"
PROBE_PACKAGE = "chaosguard.probes"


def activity_modules(package: str) -> list[str]:
    """Names of the public modules of ``package`` (private ``_x`` modules excluded), sorted."""
    pkg = importlib.import_module(package)
    return sorted(
        f"{package}.{info.name}"
        for info in pkgutil.iter_modules(pkg.__path__)
        if not info.name.startswith("_")
    )


def discover(discover_system: bool = True) -> dict[str, Any]:
    """Catalogue every function listed in ``__all__`` of each actions/probes module."""
    from chaosguard import __version__

    result: dict[str, Any] = initialize_discovery_result("chaosguard", __version__, "chaosguard")
    for mod in activity_modules(ACTION_PACKAGE):
        result["activities"].extend(discover_actions(mod))
    for mod in activity_modules(PROBE_PACKAGE):
        result["activities"].extend(discover_probes(mod))
    return result
