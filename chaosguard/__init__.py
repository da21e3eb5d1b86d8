"""chaosguard: guarded chaos engineering on Chaos Toolkit.

Faults (``chaosguard.faults``) are recorded in a crash-safe ledger (``chaosguard.ledger.store``)
before they touch the world, so every one of them can be reverted — by a rollback, by the guard, or
by ``chaos cleanup`` after the runner died. Experiments call the thin activity functions in
``chaosguard.actions`` and ``chaosguard.probes``; ``discover()`` builds their catalogue for ``chaos
discover chaosguard``.

This module imports nothing heavy: fault worker processes import the package on start-up.
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__", "discover"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("chaosguard")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            return "0.0.0"
    raise AttributeError(f"module 'chaosguard' has no attribute {name!r}")


def discover(discover_system: bool = True) -> dict:
    """Return the catalogue of chaosguard's actions and probes for ``chaos discover``."""
    from chaosguard._discovery import discover as _discover

    return _discover(discover_system=discover_system)
