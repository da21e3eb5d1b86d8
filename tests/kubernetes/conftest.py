"""Kubernetes tests: ``k8s_cluster`` and ``k8s_namespace`` live in ``tests/conftest.py`` (one
session cluster for every folder); ``tests/kubernetes/fixtures.py`` has the per-test helpers."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _operator_allows_unguarded(unguarded_actions: object) -> None:
    """Tests here call the Kubernetes actions directly, outside a guarded run (the ``policy``
    fixture and guarded ``chaos run`` s bring their own operator policy)."""
