"""The latency proxy's life: live argument checks, stop/revert (idempotent), death with its runner,
and toxic changes on a proxy owned by another live run (recorded and reverted in ours)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from chaosguard import faults
from chaosguard.actions import latency as actions
from chaosguard.errors import InjectionError, InvalidArgument
from chaosguard.faults.latency.kind import PROXY_KIND
from chaosguard.ledger.store import current_run, iter_runs
from tests.integration.faults.test_latency_support import (
    address,
    gone,
    listening_socket,
    one_way_ms,
    port_closed,
    start_link,
    upstream_address,
    wait_until,
)


@pytest.fixture()
def upstream() -> Iterator[socket.socket]:
    """The stand-in service: a listening loopback socket."""
    yield from listening_socket()


ROOT = Path(__file__).resolve().parents[3]

PARENT = textwrap.dedent("""
    import json, sys
    from chaosguard import faults
    from chaosguard.actions.latency import start_latency_proxy
    out = start_latency_proxy(sys.argv[1], "127.0.0.1:0", sys.argv[2], processes=2)
    pid = faults.open_records("latency-proxy")[0].handles["pid"]
    print(json.dumps({**out, "pid": pid}), flush=True)
    sys.stdin.read()  # until the test closes our stdin (normal exit) or kills us
""")


def _records(kind: str) -> list:
    return [r for state in iter_runs() for r in state.records.values() if r.kind == kind]


def _start_parent(
    env: dict[str, str], name: str, upstream_addr: str
) -> tuple[subprocess.Popen, dict]:
    env = {**env, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, name, upstream_addr],
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    line = parent.stdout.readline() if parent.stdout else ""
    if not line:
        parent.kill()
        pytest.fail(f"parent failed: {parent.stderr.read() if parent.stderr else ''}")
    return parent, json.loads(line)


def test_stop_closes_the_port_ends_the_process_and_closes_the_record(upstream) -> None:
    link = start_link(upstream, latency_ms=5)
    link.close()
    out = actions.stop_latency_proxy("p")
    assert out == {"name": "p", "outcome": "reverted", "record": link.proxy["record"]}
    assert gone(link.pid) and port_closed(link.proxy["listen"])
    (record,) = _records("latency-proxy")
    assert not record.is_open and record.outcome == "reverted"
    assert record.handles["toxic"]["latency_ms"] == 5
    assert actions.stop_latency_proxy("p")["outcome"] == "not-running"
    assert actions.revert_latency_proxy() == {"reverted": []}
    assert faults.revert(record) == record  # closed: unchanged
    assert PROXY_KIND.revert(record) == "vanished"  # the kind itself is idempotent too


def test_revert_stops_every_proxy_of_this_run(upstream) -> None:
    first = start_link(upstream, name="a")
    second = start_link(upstream, name="b")
    for link in (first, second):
        link.close()
    out = actions.revert_latency_proxy()
    assert sorted((r["name"], r["outcome"]) for r in out["reverted"]) == [
        ("a", "reverted"),
        ("b", "reverted"),
    ]
    assert gone(first.pid) and gone(second.pid)
    assert not faults.open_records()


def test_toxic_changes_are_appended_to_the_record(upstream) -> None:
    link = start_link(upstream)
    link.close()
    actions.set_latency("p", latency_ms=50, jitter_ms=5, direction="upstream")
    actions.remove_latency("p")
    lines = [json.loads(x) for x in current_run().path.read_text().splitlines()]
    toxics = [
        e["handles"]["toxic"] for e in lines if e["op"] == "update" and "toxic" in e["handles"]
    ]
    assert [t["latency_ms"] for t in toxics] == [0, 50, 0]
    assert toxics[1]["direction"] == "upstream" and toxics[1]["jitter_ms"] == 5
    # each change is in the ledger (the new spec) before the worker got it (the update after it)
    ops = [(e["op"], e.get("spec", e.get("handles", {})).get("toxic")) for e in lines[1:]]
    assert [op for op, _ in ops] == ["open", "update", "change", "update", "change", "update"]
    assert [t["latency_ms"] for op, t in ops if op == "change"] == [50, 0]
    (record,) = faults.open_records("latency-proxy")
    assert (
        record.spec["toxic"]["latency_ms"] == 0 and record.prior_spec["toxic"]["latency_ms"] == 50
    )


def test_a_change_the_worker_never_got_is_recorded_and_still_reverted(upstream) -> None:
    link = start_link(upstream, latency_ms=5)
    link.close()
    os.kill(link.pid, signal.SIGKILL)  # the worker dies behind the runner's back
    assert wait_until(lambda: gone(link.pid))
    with pytest.raises(InjectionError, match="change not applied") as err:
        actions.set_latency("p", latency_ms=300)
    assert "\n" not in str(err.value)
    (record,) = faults.open_records("latency-proxy")  # still open: revert decides, not the change
    assert record.spec["toxic"]["latency_ms"] == 300 and record.prior_spec is not None
    assert record.change_error and f"({record.change_error})" in str(err.value)  # gone, or reset
    out = actions.revert_latency_proxy()["reverted"]
    assert [(r["kind"], r["outcome"]) for r in out] == [("latency-proxy", "vanished")]
    assert not faults.open_records()


def _refused(field: str, **kwargs: object) -> InvalidArgument:
    before = len(_records("latency-proxy"))
    with pytest.raises(InvalidArgument) as err:
        actions.start_latency_proxy(**kwargs)
    assert err.value.field == field, err.value
    assert len(_records("latency-proxy")) == before  # nothing recorded, nothing started
    return err.value


def test_live_checks_refuse_before_anything_is_recorded(upstream) -> None:
    up = upstream_address(upstream)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        err = _refused("listen", name="x", listen=upstream_address(taken), upstream=up)
        assert "in use" in str(err)
    _refused("listen", name="x", listen="192.0.2.1:0", upstream=up)  # not an address of this host
    assert "unknown host" in str(
        _refused("upstream", name="x", listen="127.0.0.1:0", upstream="no-such-host.invalid:80")
    )
    with socket.socket() as closed:  # bound, not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        err = _refused(
            "upstream", name="x", listen="127.0.0.1:0", upstream=upstream_address(closed)
        )
        assert "nothing answers" in str(err)
    assert not _records("latency-proxy")
    link = start_link(upstream, name="dup")
    link.close()
    assert "already runs" in str(_refused("name", name="dup", listen="127.0.0.1:0", upstream=up))


def test_upstream_gone_later_closes_new_clients_quickly(upstream) -> None:
    proxy = actions.start_latency_proxy("p", "127.0.0.1:0", upstream_address(upstream))
    upstream.close()
    try:  # closed (EOF) or reset — the reset can even beat connect() returning under load
        with socket.create_connection(address(proxy["listen"]), timeout=5) as client:
            assert client.recv(10) == b""
    except ConnectionResetError:
        pass


def test_a_deep_state_dir_still_gets_a_control_socket(
    upstream, chaosguard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = chaosguard_home / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setenv("CHAOSGUARD_HOME", str(deep))
    link = start_link(upstream)
    try:
        assert len(str(deep)) > 108
        actions.set_latency("p", latency_ms=40, direction="downstream")
        assert one_way_ms(link.server, link.client) >= 39
    finally:
        link.close()
        actions.stop_latency_proxy("p")
    assert gone(link.pid)


def test_the_proxy_dies_with_its_runner(upstream, chaos_env: dict[str, str]) -> None:
    parent, out = _start_parent(chaos_env, "orphan", upstream_address(upstream))
    pids = [out["pid"], *(c.pid for c in psutil.Process(out["pid"]).children())]
    assert len(pids) == 2 and not any(gone(pid) for pid in pids)  # process 0 and its sibling
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert wait_until(lambda: all(gone(pid) for pid in pids), timeout=2.0), (
        "proxy outlived its runner by 2 s"
    )
    assert wait_until(lambda: port_closed(out["listen"]), timeout=1.0)


def test_changing_another_runs_proxy_is_recorded_and_reverted_here(
    upstream, chaos_env: dict[str, str]
) -> None:
    parent, out = _start_parent(chaos_env, "shared", upstream_address(upstream))
    try:
        upstream.accept()[0].close()  # the parent's reachability check
        client = socket.create_connection(address(out["listen"]), timeout=5)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server, _ = upstream.accept()
        server.settimeout(5)
        changed = actions.set_latency("shared", latency_ms=80, direction="downstream")
        assert changed["record"] == out["record"] and "change_record" in changed
        assert one_way_ms(server, client) >= 79
        (change,) = faults.open_records("latency-toxic")
        assert change.spec["restore"]["latency_ms"] == 0
        assert actions.stop_latency_proxy("shared")["outcome"] == "not-owned"
        reverted = actions.revert_latency_proxy()["reverted"]
        assert [(r["kind"], r["outcome"]) for r in reverted] == [("latency-toxic", "reverted")]
        assert one_way_ms(server, client) < 40  # the parent's toxic (none) is back

        # escalation changes the same record (recorded first); remove_latency reverts it
        first = actions.set_latency("shared", latency_ms=60, direction="downstream")
        second = actions.set_latency("shared", latency_ms=120, direction="downstream")
        assert first["change_record"] == second["change_record"]
        assert one_way_ms(server, client) >= 119
        (change,) = faults.open_records("latency-toxic")
        assert change.spec["toxic"]["latency_ms"] == 120
        assert change.prior_spec["toxic"]["latency_ms"] == 60
        removed = actions.remove_latency("shared")
        assert removed["change_record"] == second["change_record"]
        assert removed["toxic"]["latency_ms"] == 0 and not faults.open_records("latency-toxic")
        assert one_way_ms(server, client) < 40
        closed = [r for r in _records("latency-toxic") if r.id == removed["change_record"]]
        assert closed[0].outcome == "reverted"  # the kind's revert, through the contract
        again = actions.remove_latency("shared")  # nothing of this run left on it: no-op
        assert "change_record" not in again and again["toxic"]["latency_ms"] == 0
        assert len(_records("latency-toxic")) == 2
        client.close()
        server.close()
    finally:
        parent.stdin.close()  # normal exit: the parent stops its proxy
        parent.wait(timeout=10)
    assert wait_until(lambda: gone(out["pid"]), timeout=2.0)
