"""Fixtures for tests that need a real Kubernetes API server.

``k8s_cluster`` (session scope) starts etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok once per test session from the binaries cached by
``scripts/k8s-test-bins``. If the binaries are missing or the cluster cannot start,
the fixture raises and the tests ERROR; they are never skipped.

``k8s_namespace`` gives each test its own namespace and deletes it afterwards.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest

from tests.k8s_cluster import TestCluster, bin_dir


@pytest.fixture(scope="session")
def k8s_cluster() -> Iterator[TestCluster]:
    cluster = TestCluster(bin_dir(), nodes=1)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture()
def k8s_namespace(k8s_cluster: TestCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    base = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"t-{base}-{secrets.token_hex(3)}"
    k8s_cluster.kubectl("create", "namespace", name)
    try:
        yield name
    finally:
        # Deletion is asynchronous: the namespace controller (kube-controller-manager)
        # empties and removes it in the background (5-10 s; waiting here would add
        # that to every test), and kwok's pod-delete stage lets pods go without a kubelet.
        k8s_cluster.kubectl("delete", "namespace", name, "--wait=false")
