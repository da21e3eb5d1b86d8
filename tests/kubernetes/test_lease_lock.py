"""The scope lock across machines: a Lease per namespace on the real API server, two runners.

Each runner is a real process (``acquire_run_lock`` in a child); a SIGKILLed runner stops renewing,
so its Lease expires after ``$CHAOSGUARD_LEASE_SECONDS`` (5 s here) and only then is taken over.
The game day CronJob's Role (``ROLE_RULES``) is bound to a ServiceAccount: with it a runner takes,
renews and releases the Lease; without the Lease rules it is refused.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaosguard.errors import Refused
from chaosguard.gameday.cronjob import ROLE_RULES
from chaosguard.guard.lock import LeaseLock, acquire_run_lock
from chaosguard.kube.lease import LEASE_NAME
from tests.helpers import python_child
from tests.k8s_cluster import TestCluster
from tests.kubernetes.fixtures import kube, node_heartbeat, wait_for  # noqa: F401

pytestmark = pytest.mark.kubernetes

LEASE_S = 5

HOLDER = """
    import sys, time
    from chaosguard.guard.lock import acquire_run_lock
    lock = acquire_run_lock(sys.argv[1], sys.argv[2])
    print("held", flush=True)
    line = sys.stdin.readline()  # hold until told (or killed)
    lock.release()
    print("released", flush=True)
"""


@pytest.fixture()
def short_leases(kube: TestCluster, monkeypatch: pytest.MonkeyPatch) -> TestCluster:
    monkeypatch.setenv("CHAOSGUARD_LEASE_SECONDS", str(LEASE_S))
    return kube


def _holder(scope: str, run_id: str) -> subprocess.Popen[str]:
    code = HOLDER.replace("sys.argv[1], sys.argv[2]", f"{scope!r}, {run_id!r}")
    proc = python_child(code, stdin=subprocess.PIPE)
    line = proc.stdout.readline() if proc.stdout else ""
    if line.strip() != "held":
        proc.kill()
        raise AssertionError(f"holder did not take the lock: {line!r} {proc.stderr.read()!r}")
    return proc


def _lease(kube: TestCluster, ns: str) -> dict | None:
    found = kube.kubectl_json("get", "leases", "-n", ns, "-o", "json")["items"]
    return next((x for x in found if x["metadata"]["name"] == LEASE_NAME), None)


@pytest.fixture()
def holders() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_second_runner_is_refused_naming_the_holder_until_the_first_ends(
    short_leases: TestCluster, k8s_namespace: str, holders: list
) -> None:
    scope = f"k8s:{k8s_namespace}"
    first = _holder(scope, "run-first")
    holders.append(first)
    lease = _lease(short_leases, k8s_namespace)
    assert lease is not None
    assert lease["spec"]["holderIdentity"] == f"run-first@{socket.gethostname()}"
    assert lease["spec"]["leaseDurationSeconds"] == LEASE_S

    with pytest.raises(Refused) as refused:
        acquire_run_lock(scope, "run-second")
    message = str(refused.value)
    assert "run run-first" in message and f"host {socket.gethostname()}" in message
    assert f"pid {first.pid}" in message and re.search(r"since \d{4}-\d\d-\d\d \d\d:", message)
    assert "\n" not in message

    # renewed: still held (and refused) well after one lease duration
    time.sleep(LEASE_S * 1.6)
    renewed = _lease(short_leases, k8s_namespace)
    assert renewed is not None and renewed["spec"]["renewTime"] != lease["spec"]["renewTime"]
    with pytest.raises(Refused, match="run run-first"):
        acquire_run_lock(scope, "run-second")

    # the first ends: its Lease is deleted and the second takes the scope at once, no takeover
    first.stdin.write("done\n")
    first.stdin.flush()
    assert first.stdout.readline().strip() == "released"
    assert first.wait(timeout=10) == 0
    assert _lease(short_leases, k8s_namespace) is None
    second = acquire_run_lock(scope, "run-second")
    try:
        assert isinstance(second, LeaseLock) and second.previous is None
        assert second.lost() is None
    finally:
        second.release()
    assert _lease(short_leases, k8s_namespace) is None


def test_a_sigkilled_runners_lease_is_taken_over_only_after_it_expired(
    short_leases: TestCluster, k8s_namespace: str, holders: list
) -> None:
    scope = f"k8s:{k8s_namespace}"
    first = _holder(scope, "run-killed")
    holders.append(first)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    killed_at = time.time()
    with pytest.raises(Refused, match="run run-killed"):
        acquire_run_lock(scope, "run-next")  # not expired yet: its holder might still be alive

    def taken() -> LeaseLock | None:
        try:
            lock = acquire_run_lock(scope, "run-next")
        except Refused:
            return None
        assert isinstance(lock, LeaseLock)
        return lock

    lock = wait_for("the dead runner's Lease to expire", taken, timeout=LEASE_S * 4, interval=0.5)
    try:
        assert time.time() - killed_at >= LEASE_S * 0.5  # not before it could have expired
        assert lock.previous is not None and lock.previous["run_id"] == "run-killed"
        lease = _lease(short_leases, k8s_namespace)
        assert lease is not None
        assert lease["spec"]["holderIdentity"].startswith("run-next@")
        assert lease["spec"]["leaseTransitions"] == 1
    finally:
        lock.release()


def test_a_lease_taken_from_under_a_run_is_reported_lost(
    short_leases: TestCluster, k8s_namespace: str
) -> None:
    scope = f"k8s:{k8s_namespace}"
    lock = acquire_run_lock(scope, "run-robbed")
    assert isinstance(lock, LeaseLock)
    reasons: list[str] = []
    lock.on_lost = reasons.append
    try:
        patch = {"spec": {"holderIdentity": "intruder@elsewhere"}}
        short_leases.kubectl(
            "patch",
            "lease",
            LEASE_NAME,
            "-n",
            k8s_namespace,
            "--type=merge",
            "-p",
            json.dumps(patch),
        )
        wait_for("the renewal to notice", lock.lost, timeout=LEASE_S * 2)
        assert "may no longer be exclusive" in (lock.lost() or "")
        assert "run intruder on host elsewhere" in (lock.lost() or "") and reasons == [lock.lost()]
    finally:
        lock.release()
    lease = _lease(short_leases, k8s_namespace)
    assert lease is not None and lease["spec"]["holderIdentity"] == "intruder@elsewhere"


def test_every_namespace_or_none(
    short_leases: TestCluster, k8s_namespace: str, holders: list
) -> None:
    other = f"{k8s_namespace[:50]}-b"
    short_leases.kubectl("create", "namespace", other)
    try:
        holders.append(_holder(f"k8s:{other}", "run-other"))
        with pytest.raises(Refused, match="run run-other"):
            acquire_run_lock(f"k8s:{k8s_namespace},{other}", "run-both")
        assert _lease(short_leases, k8s_namespace) is None  # the first one taken was given back
    finally:
        short_leases.kubectl("delete", "namespace", other, "--wait=false")


def _service_account_kubeconfig(kube: TestCluster, ns: str, sa: str, path: Path) -> Path:
    token = kube.kubectl("create", "token", sa, "-n", ns, "--duration=10m").stdout.strip()
    cluster = {"server": kube.server, "certificate-authority": str(kube.ca_file)}
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": cluster}],
        "users": [{"name": sa, "user": {"token": token}}],
        "contexts": [{"name": "sa", "context": {"cluster": "test", "user": sa}}],
        "current-context": "sa",
    }
    path.write_text(json.dumps(doc))
    return path


def test_the_cronjob_role_grants_what_the_lease_needs(
    short_leases: TestCluster, k8s_namespace: str, tmp_path: Path
) -> None:
    kube, ns = short_leases, k8s_namespace
    kube.kubectl("create", "serviceaccount", "gameday", "-n", ns)
    for name, rules in (
        ("with-leases", ROLE_RULES),
        ("without-leases", [r for r in ROLE_RULES if r["resources"] != ["leases"]]),
    ):
        role = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": name, "namespace": ns},
            "rules": rules,
        }
        kube.kubectl("apply", "-f", "-", input=json.dumps(role))
    conf = {
        "kubeconfig_path": str(
            _service_account_kubeconfig(kube, ns, "gameday", tmp_path / "sa.kubeconfig")
        )
    }

    def bind(role: str) -> None:
        kube.kubectl("delete", "rolebinding", "gameday", "-n", ns, "--ignore-not-found")
        kube.kubectl(
            "create",
            "rolebinding",
            "gameday",
            "-n",
            ns,
            f"--role={role}",
            f"--serviceaccount={ns}:gameday",
        )

    bind("without-leases")
    with pytest.raises(Refused, match="HTTP 403"):
        acquire_run_lock(f"k8s:{ns}", "run-sa", conf)

    bind("with-leases")
    lock = wait_for("RBAC to apply", lambda: _try(f"k8s:{ns}", conf), timeout=20)
    try:
        time.sleep(LEASE_S * 0.8)  # at least two renewals (every third of the duration)
        assert lock.lost() is None
    finally:
        lock.release()
    assert _lease(kube, ns) is None  # released: deleted with the Role's own rights


def _try(scope: str, conf: dict) -> LeaseLock | None:
    try:
        lock = acquire_run_lock(scope, "run-sa", conf)
    except Refused:
        return None
    assert isinstance(lock, LeaseLock)
    return lock
