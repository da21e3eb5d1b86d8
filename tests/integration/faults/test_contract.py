"""The fault contract over every registered kind: local kinds here, on real processes and sockets.

Pod kill and the Chaos Mesh kinds run the same driver against the test API server in
``tests/kubernetes/test_fault_contract.py``;
:func:`test_the_cases_cover_exactly_the_registered_kinds` makes a kind without a contract case fail.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from chaosguard import faults
from chaosguard.faults import KINDS
from chaosguard.faults.latency.spec import NO_TOXIC, Spec, Toxic, ToxicChange
from chaosguard.faults.process.spec import ProcessSignalSpec, ProcessTarget
from chaosguard.faults.stress._oslib import rss_bytes
from chaosguard.faults.stress.spec import CpuStressSpec, MemoryStressSpec
from chaosguard.ledger.store import FaultRecord
from tests.integration.faults.test_contract_support import Case, run_contract
from tests.integration.faults.test_latency_support import address, gone, one_way_ms

MIB = 1 << 20


class World:
    """What the local cases act on: a stand-in upstream service, a victim process, a proxy."""

    def __init__(self) -> None:
        self.upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.upstream.bind(("127.0.0.1", 0))
        self.upstream.listen(64)
        self.upstream.settimeout(5.0)
        self.upstream_addr = "{}:{}".format(*self.upstream.getsockname()[:2])
        self._victim: subprocess.Popen[bytes] | None = None
        self._proxy: FaultRecord | None = None

    @property
    def victim(self) -> subprocess.Popen[bytes]:
        """A sleeping child process (started on first use)."""
        if self._victim is None:
            self._victim = subprocess.Popen(["sleep", "307.0307"])
        return self._victim

    def target(self) -> ProcessTarget:
        proc = psutil.Process(self.victim.pid)
        return ProcessTarget(pid=proc.pid, create_time=proc.create_time(), name=proc.name())

    @property
    def proxy(self) -> FaultRecord:
        """A running proxy of this run, no toxic (for the toxic-change kind)."""
        if self._proxy is None:
            spec = Spec(name="contract-owner", listen="127.0.0.1:0", upstream=self.upstream_addr)
            self._proxy = faults.inject("latency-proxy", spec)
        return self._proxy

    def downstream_ms(self, listen: str) -> float | None:
        """One-way server → client delay through the proxy at ``listen`` (``None``: no proxy)."""
        try:
            client = socket.create_connection(address(listen), timeout=5.0)
        except OSError:
            return None
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.settimeout(5.0)
        try:
            client.sendall(b"!")
            while True:  # skip connections of live checks and port probes: ours says "!"
                server, _ = self.upstream.accept()
                server.settimeout(2.0)
                try:
                    if server.recv(1) == b"!":
                        break
                except OSError:
                    pass
                server.close()
            try:
                return one_way_ms(server, client)
            finally:
                server.close()
        except OSError:
            return None
        finally:
            client.close()

    def close(self) -> None:
        self.upstream.close()
        if self._victim is not None:
            self._victim.kill()
            self._victim.wait()


@pytest.fixture()
def world() -> Iterator[World]:
    w = World()
    yield w
    w.close()


def _delayed(world: World, listen: str, toxic: dict[str, Any]) -> bool:
    """The proxy at ``listen`` delays server → client by the toxic's latency (and not more than
    it, give or take a loaded machine's slack: 100 ms)."""
    ms = world.downstream_ms(listen)
    wanted = float(toxic["latency_ms"])
    return ms is not None and wanted - 2 <= ms < wanted + 100


def _toxic(latency_ms: float) -> Toxic:
    return Toxic(latency_ms=latency_ms, direction="downstream")


# -- latency ---------------------------------------------------------------------------------------
def _proxy_spec(world: World) -> Spec:
    return Spec(
        name="contract", listen="127.0.0.1:0", upstream=world.upstream_addr, toxic=_toxic(150)
    )


def _proxy_present(world: World, record: FaultRecord) -> bool:
    alive = not gone(int(record.handles["pid"]))
    return alive and _delayed(world, record.handles["listen"], record.spec["toxic"])


def _proxy_change(world: World, record: FaultRecord) -> Spec:
    return Spec(**{**record.spec, "toxic": _toxic(400)})


def _toxic_spec(world: World) -> ToxicChange:
    proxy = world.proxy
    return ToxicChange(
        proxy=proxy.spec["name"],
        proxy_record=proxy.id,
        control=proxy.handles["control"],
        toxic=_toxic(150),
        restore=NO_TOXIC,
    )


def _toxic_present(world: World, record: FaultRecord) -> bool:
    return _delayed(world, world.proxy.handles["listen"], record.spec["toxic"])


def _toxic_change(world: World, record: FaultRecord) -> ToxicChange:
    return ToxicChange(**{**record.spec, "toxic": _toxic(400)})


# -- stress ----------------------------------------------------------------------------------------
def _burning(record: FaultRecord) -> bool:
    """Every busy process runs and uses CPU time."""
    try:
        procs = [psutil.Process(pid) for pid in record.handles["busy_pids"]]
        before = [sum(p.cpu_times()[:2]) for p in procs]
        time.sleep(0.3)
        after = [sum(p.cpu_times()[:2]) for p in procs]
        running = all(p.status() != psutil.STATUS_ZOMBIE for p in procs)
    except psutil.NoSuchProcess:
        return False
    return running and all(b > a for a, b in zip(before, after, strict=True))


def _holding(record: FaultRecord) -> bool:
    pid = int(record.handles["pid"])
    return not gone(pid) and rss_bytes(pid) >= 0.9 * record.spec["mib"] * MIB


# -- process signals -------------------------------------------------------------------------------
def _stopped(world: World, record: FaultRecord) -> bool:
    try:
        return psutil.Process(world.victim.pid).status() == psutil.STATUS_STOPPED
    except psutil.NoSuchProcess:
        return False


def _terminated(world: World, record: FaultRecord) -> bool:
    return world.victim.poll() == -15


LOCAL_CASES = [
    Case(
        "latency-proxy",
        "latency-proxy",
        _proxy_spec,
        _proxy_present,
        change=_proxy_change,
        changed=_proxy_present,
    ),
    Case(
        "latency-toxic",
        "latency-toxic",
        _toxic_spec,
        _toxic_present,
        change=_toxic_change,
        changed=_toxic_present,
        again="reverted",  # the owner's proxy still runs: its old toxic is set once more
    ),
    Case(
        "cpu-stress",
        "cpu-stress",
        lambda w: CpuStressSpec(workers=1, load_percent=30),
        lambda w, r: _burning(r),
    ),
    Case(
        "memory-stress",
        "memory-stress",
        lambda w: MemoryStressSpec(mib=32),
        lambda w, r: _holding(r),
    ),
    Case(
        "process-signal-SIGSTOP",
        "process-signal",
        lambda w: ProcessSignalSpec(signal="SIGSTOP", targets=(w.target(),)),
        _stopped,
        again="reverted",  # the process still runs: SIGCONT once more is harmless
    ),
    Case(
        "process-signal-SIGTERM",
        "process-signal",
        lambda w: ProcessSignalSpec(signal="SIGTERM", targets=(w.target(),)),
        _terminated,
        revertible=False,
        again="not-revertible",
    ),
]


@pytest.mark.contract
@pytest.mark.parametrize("case", LOCAL_CASES, ids=lambda c: c.id)
def test_the_fault_contract(case: Case, world: World) -> None:
    run_contract(case, world)


def test_the_cases_cover_exactly_the_registered_kinds() -> None:
    from tests.kubernetes.test_fault_contract import KUBERNETES_CASES

    local = {c.kind for c in LOCAL_CASES}
    kube = {c.kind for c in KUBERNETES_CASES}
    assert not local & kube, "a kind is both local and Kubernetes"
    assert sorted(local | kube) == sorted(KINDS), "every registered kind needs a contract case"
