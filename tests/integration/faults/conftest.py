"""The fault tests call chaosguard's actions directly, outside a guarded run: their operator
allows it."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _operator_allows_unguarded(unguarded_actions: object) -> None:
    """Every test here runs under :func:`tests.conftest.unguarded_actions`."""
