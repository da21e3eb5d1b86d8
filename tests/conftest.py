"""Shared fixtures: every test gets its own chaosguard state directory (ledger, logs, sockets)."""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.k8s_cluster import TestCluster, bin_dir

# `make test` (and so CI) runs the "ci" profile: derandomized, the same examples on every run, so a
# result never depends on the seed. `make fuzz` runs "fuzz": random and long. Without a profile,
# hypothesis' defaults apply (random, 100 examples).
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("fuzz", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def chaosguard_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``CHAOSGUARD_HOME`` for the test; whatever it left open is reverted afterwards."""
    home = tmp_path / "cg-home"
    home.mkdir()
    monkeypatch.setenv("CHAOSGUARD_HOME", str(home))
    yield home
    from chaosguard.ledger import store as ledger

    run = ledger._current.pop(home.resolve(), None)
    if run is not None:
        from chaosguard.faults.cleanup import revert_run

        revert_run(run, run.state())
        run.release()


@pytest.fixture()
def chaos_env(chaosguard_home: Path) -> dict[str, str]:
    """Environment for a ``chaos`` subprocess: this venv first on PATH, our state dir."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["CHAOSGUARD_HOME"] = str(chaosguard_home)
    return env


@pytest.fixture()
def unguarded_actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator policy (``$CHAOSGUARD_POLICY``) that lets chaosguard's actions run outside a
    guarded run: for tests that call the actions directly (they test a fault, not the guard)."""
    path = tmp_path / "operator-unguarded.yaml"
    path.write_text("allow_unguarded: true\n")
    monkeypatch.setenv("CHAOSGUARD_POLICY", str(path))
    return path


# -- the Kubernetes test control plane (tests/kubernetes, tests/security) ------------------------
# ``k8s_cluster`` (session scope) starts etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok once per test session, only when a test asks for it, from the binaries
# cached by ``scripts/k8s-test-bins``. If they are missing or the cluster cannot start, the tests
# ERROR; they are never skipped. ``k8s_namespace`` gives each test its own namespace and deletes it
# afterwards. Defined here, once, so every folder shares the one session cluster.


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
