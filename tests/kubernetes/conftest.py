"""Kubernetes tests: ``k8s_cluster`` and ``k8s_namespace`` live in ``tests/conftest.py`` (one
session cluster for every folder); ``tests/kubernetes/fixtures.py`` has the per-test helpers."""
