"""Latency fidelity and throughput of chaosguard's latency proxy, with toxiproxy v2.12.0 as the
anchor.

Setup (all on loopback, each piece in its own process): an asyncio/uvloop echo server answering
1 KiB round trips; a uvloop load client keeping N connections busy (closed loop: send 1 KiB, wait
for the echo, repeat); between them nothing (``direct``), a chaosguard latency proxy, or toxiproxy.

The requested delay is applied to the **downstream direction only** in both proxies (toxiproxy's
default stream; chaosguard ``direction="downstream"``), so one round trip should gain exactly the
requested delay. Added-delay error per request = RTT − baseline − requested, where baseline is the
direct p50 RTT with one connection (the bare loopback round trip). Throughput is requests/s at 0 ms.
Each client connection starts at a random offset within the first 100 ms of the warm-up, so the
closed-loop connections do not move in lockstep bursts.

Run: ``.venv/bin/python benchmarks/latency_fidelity.py [--seconds 3] [--quick]`` (``--quick``:
0.6 s per cell, a smoke run of the whole matrix). Prints a table, then one JSON line. Never asserts.
Builds toxiproxy on first use (``benchmarks/_toxiproxy.py``). The JSON also carries the load average
at the start and end (the machine may be shared: compare the two proxies within one run) and, per
delay at 200 connections, the release lateness of chaosguard's proxy as the worker measured it.

toxiproxy runs in a session of its own by default, as chaosguard's worker does (with autogroup
scheduling, a session is a scheduling group); ``--toxiproxy-session shared`` puts it back in the
benchmark's session, next to the load client and the echo server (how runs before issue 11 did it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_policy import allow_unguarded_actions
from _bytecode import compile_package
from _stats import pct
from _toxiproxy import Toxiproxy, ensure_toxiproxy

SIZE = 1024
CONNS = (1, 50, 200)
DELAYS = (0, 50, 100)
PAYLOAD = b"x" * SIZE
WARMUP = 0.5


# -- the echo server and the load client (run as separate processes of this same file) -----------
class _Echo(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t = transport
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.t.write(data)  # type: ignore[attr-defined]


async def _echo_main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Echo, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


class _Client(asyncio.Protocol):
    def __init__(
        self, rtts: list[float], warm: float, stop: float, think: float, done: asyncio.Future[None]
    ) -> None:
        self.rtts, self.warm, self.stop, self.think, self.done = rtts, warm, stop, think, done
        self.got = 0
        self.start = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t = transport
        self.loop = asyncio.get_running_loop()
        # Spread the connections' phases over 100 ms (inside the warm-up) so that 200 closed-loop
        # clients do not move in lockstep bursts, which no real client population does.
        self.loop.call_later(random.random() * 0.1, self.send)

    def send(self) -> None:
        self.got = 0
        self.start = time.perf_counter()
        self.t.write(PAYLOAD)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.got += len(data)
        if self.got < SIZE:
            return
        now = time.perf_counter()
        if now >= self.warm:
            self.rtts.append(now - self.start)
        if now >= self.stop:
            self.t.close()
        elif self.think:
            self.loop.call_later(self.think, self.send)
        else:
            self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _load_main(port: int, conns: int, seconds: float, think_ms: float) -> list[float]:
    loop = asyncio.get_running_loop()
    rtts: list[float] = []
    t0 = time.perf_counter()
    warm, stop = t0 + WARMUP, t0 + WARMUP + seconds
    dones = [loop.create_future() for _ in range(conns)]
    await asyncio.gather(
        *(
            loop.create_connection(
                functools.partial(_Client, rtts, warm, stop, think_ms / 1000, d), "127.0.0.1", port
            )
            for d in dones
        )
    )
    await asyncio.wait_for(asyncio.gather(*dones), timeout=seconds + WARMUP + 30)
    return sorted(round(x * 1000, 4) for x in rtts)


def _pct(values: list[float], q: float) -> float:
    """:func:`_stats.pct`, NaN for an empty cell (the table prints it as ``nan``)."""
    value = pct(values, q)
    return float("nan") if value is None else value


# -- orchestration ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load(port: int, conns: int, seconds: float, think_ms: float = 0.0) -> list[float]:
    """Round-trip times (ms, sorted) of one load slice, from a separate load-client process."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:  # a file: stdout may be non-blocking
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--role",
                "load",
                "--port",
                str(port),
                "--conns",
                str(conns),
                "--seconds",
                str(seconds),
                "--think",
                str(think_ms),
                "--out",
                out.name,
            ],
            check=True,
        )
        return list(json.loads(Path(out.name).read_text()))


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its live children (the proxy's other
    processes)."""
    proc = psutil.Process(pid)
    total = 0.0
    for each in [proc, *proc.children()]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = each.cpu_times()
            total += times.user + times.system
    return total


def _busy() -> bool:
    return (
        subprocess.run(["pgrep", "-f", "go build"], capture_output=True, check=False).returncode
        == 0
    )


def _row(
    target: str, conns: int, delay: int, rtts: list[float], seconds: float, cpu: float | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "target": target,
        "conns": conns,
        "delay": delay,
        "n": len(rtts),
        "rps": len(rtts) / seconds,
        "p50": _pct(rtts, 50),
        "p99": _pct(rtts, 99),
    }
    if cpu is not None:
        row["cpu_us_per_req"] = cpu / max(len(rtts), 1) * 1e6
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per cell")
    parser.add_argument("--quick", action="store_true", help="smoke run: 0.6 s per cell")
    parser.add_argument(
        "--toxiproxy-session",
        choices=["own", "shared"],
        default="own",
        help="toxiproxy in a session (autogroup) of its own like chaosguard's worker (default), "
        "or in the benchmark's, next to the load client and echo server",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="processes of chaosguard's proxy (0: its default, two per CPU, at most 4)",
    )
    parser.add_argument("--role", choices=["bench", "echo", "load"], default="bench")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--conns", type=int, default=1)
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness given to both proxies (negative needs root); 0 = as started",
    )
    args = parser.parse_args()
    if args.role == "echo":
        uvloop.run(_echo_main())
    elif args.role == "load":
        rtts = uvloop.run(_load_main(args.port, args.conns, args.seconds, args.think))
        Path(args.out).write_text(json.dumps(rtts))
    else:
        own = args.toxiproxy_session == "own"
        _bench(0.6 if args.quick else args.seconds, args.nice, own, args.processes)


def _bench(seconds: float, nice: int = 0, own_session: bool = True, processes: int = 0) -> None:
    compile_package()  # the proxy worker's start as installed (see _bytecode)
    busy_before = _busy()
    load_start = os.getloadavg()[0]
    os.environ["CHAOSGUARD_HOME"] = tempfile.mkdtemp(prefix="cg-bench-")
    allow_unguarded_actions()
    from chaosguard import faults
    from chaosguard.actions import latency as actions
    from chaosguard.faults.latency import control
    from chaosguard.faults.latency.kind import control_of, status

    echo = subprocess.Popen(
        [sys.executable, __file__, "--role", "echo"], stdout=subprocess.PIPE, text=True
    )
    assert echo.stdout is not None
    echo_port = int(echo.stdout.readline())
    os.environ["LOG_LEVEL"] = "error"
    toxi = Toxiproxy(ensure_toxiproxy(), _free_port(), own_session=own_session)
    toxi.start()
    toxi_port = _free_port()
    toxi.add_proxy("bench", f"127.0.0.1:{toxi_port}", f"127.0.0.1:{echo_port}")
    cg = actions.start_latency_proxy(
        "bench", "127.0.0.1:0", f"127.0.0.1:{echo_port}", processes=processes
    )
    assert toxi.proc is not None
    proxies = {
        "chaosguard": (
            int(cg["listen"].rsplit(":", 1)[1]),
            int(faults.open_records("latency-proxy")[0].handles["pid"]),
        ),
        "toxiproxy": (toxi_port, toxi.proc.pid),
    }
    procs = int(status(faults.open_records("latency-proxy")[0])["processes"])
    if nice:
        for _, pid in proxies.values():
            for each in [pid, *(c.pid for c in psutil.Process(pid).children())]:
                os.setpriority(os.PRIO_PROCESS, each, nice)
    record = faults.open_records("latency-proxy")[0]
    rows: list[dict[str, Any]] = []
    lateness: dict[int, Any] = {}
    half = seconds / 2
    try:
        baseline = _pct(_load(echo_port, 1, seconds), 50)
        for conns in CONNS:
            for delay in DELAYS:
                # direct: saturated at 0 ms; paced like the proxied clients otherwise
                # (think = delay)
                rows.append(
                    _row("direct", conns, delay, _load(echo_port, conns, seconds, delay), seconds)
                )
                actions.set_latency("bench", latency_ms=delay, direction="downstream")
                toxi.set_latency("bench", delay, stream="downstream")
                pooled: dict[str, list[float]] = {name: [] for name in proxies}
                cpu = dict.fromkeys(proxies, 0.0)
                control.request(control_of(record), {"op": "get", "reset": True})
                for name in ("chaosguard", "toxiproxy", "toxiproxy", "chaosguard"):  # ABBA
                    port, pid = proxies[name]
                    before = _cpu(pid)
                    pooled[name] += _load(port, conns, half)
                    cpu[name] += _cpu(pid) - before
                for name in proxies:
                    rows.append(_row(name, conns, delay, sorted(pooled[name]), seconds, cpu[name]))
                if conns == CONNS[-1] and delay:
                    lateness[delay] = status(record)["lateness"]  # of this cell only (reset above)
    finally:
        actions.stop_latency_proxy("bench")
        toxi.stop()
        echo.terminate()
        echo.wait()
    extra = (load_start, lateness, own_session, procs)
    _report(rows, baseline, busy_before or _busy(), toxi.binary, nice, extra)


def _report(
    rows: list[dict[str, Any]],
    baseline: float,
    busy: bool,
    binary: Path,
    nice: int,
    extra: tuple[float, dict[int, Any], bool, int],
) -> None:
    print(
        f"baseline = direct p50 RTT with 1 connection = {baseline:.3f} ms. Requested delay on the "
        "downstream direction only, in both proxies. 1 KiB round trips."
    )
    print(
        "err = RTT - baseline - requested (proxies); for 'direct' rows with a delay, the clients "
        "pause <delay> between requests (same request rate, no proxy) and err = RTT - baseline: "
        "the machine's own noise at that rate."
    )
    print(
        f"{'conns':>5} {'delay':>5} {'target':<10} {'req/s':>9} {'rtt p50':>8} {'rtt p99':>8} "
        f"{'err p50':>8} {'err p99':>8} {'cpu us/req':>10}"
    )
    for r in rows:
        requested = r["delay"] if r["target"] != "direct" else 0
        r["err_p50"] = r["p50"] - baseline - requested
        r["err_p99"] = r["p99"] - baseline - requested
        err = f"{r['err_p50']:8.2f} {r['err_p99']:8.2f}" if r["delay"] else f"{'-':>8} {'-':>8}"
        cpu = f"{r['cpu_us_per_req']:10.1f}" if "cpu_us_per_req" in r else f"{'-':>10}"
        print(
            f"{r['conns']:>5} {r['delay']:>5} {r['target']:<10} {r['rps']:9.0f} {r['p50']:8.2f} "
            f"{r['p99']:8.2f} {err} {cpu}"
        )
    cell = {(r["target"], r["conns"], r["delay"]): r for r in rows}
    delayed = [d for d in DELAYS if d]
    err99 = max(cell["chaosguard", 200, d]["err_p99"] for d in delayed)
    toxi99 = max(cell["toxiproxy", 200, d]["err_p99"] for d in delayed)
    ratio = cell["chaosguard", 200, 0]["rps"] / cell["toxiproxy", 200, 0]["rps"]
    result: dict[str, Any] = {
        "error_p99_ms_200conn": round(err99, 3),
        "toxiproxy_error_p99_ms_200conn": round(toxi99, 3),
        "throughput_ratio_vs_toxiproxy": round(ratio, 3),
    }
    for conns in CONNS:
        for name in ("chaosguard", "toxiproxy"):
            result[f"{name}_rps_0ms_{conns}conn"] = round(cell[name, conns, 0]["rps"])
            for d in delayed:
                result[f"{name}_error_p50_ms_{d}ms_{conns}conn"] = round(
                    cell[name, conns, d]["err_p50"], 3
                )
                result[f"{name}_error_p99_ms_{d}ms_{conns}conn"] = round(
                    cell[name, conns, d]["err_p99"], 3
                )
        for d in delayed:
            result[f"direct_noise_p99_ms_{d}ms_{conns}conn"] = round(
                cell["direct", conns, d]["err_p99"], 3
            )
        result[f"throughput_ratio_vs_toxiproxy_{conns}conn"] = round(
            cell["chaosguard", conns, 0]["rps"] / cell["toxiproxy", conns, 0]["rps"], 3
        )
        result[f"direct_rps_{conns}conn"] = round(cell["direct", conns, 0]["rps"])
    for name in ("chaosguard", "toxiproxy"):
        result[f"{name}_cpu_us_per_req_0ms_200conn"] = round(
            cell[name, 200, 0]["cpu_us_per_req"], 1
        )
    result.update(
        {
            "target_error_met": bool(err99 <= 5.0 and err99 <= toxi99),
            "target_throughput_met": bool(ratio >= 1.0),
            "baseline_rtt_ms": round(baseline, 4),
            "direction": "downstream",
            "go_build_running": busy,
            "proxy_nice": nice,
            "toxiproxy_session": "own" if extra[2] else "shared",
            "chaosguard_processes": extra[3],
            "loadavg_1m_start": round(extra[0], 2),
            "loadavg_1m_end": round(os.getloadavg()[0], 2),
            "chaosguard_lateness_200conn": extra[1],
            "cpus": os.cpu_count(),
            "toxiproxy": str(binary),
        }
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
