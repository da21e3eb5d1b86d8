"""The latency worker: ``python -m chaosguard.faults.latency`` (started by
:mod:`chaosguard.faults.workers`).

Arguments after the common worker flags::

    --listen HOST:PORT --upstream HOST:PORT --toxic JSON --control PATH [--seed N]
    [--max-connections N] [--processes N]

It resolves the upstream, binds one listener per process, freezes its start-up heap (:mod:`._tune`)
and forks the other processes (:mod:`._family`). Process 0 opens the control socket, checks that
every sibling serves, reports ``listen`` (the bound address) and ``control`` as ready info, then
serves until SIGTERM or until the runner's lifeline breaks; the siblings serve until process 0 is
gone. Every process runs on uvloop when available (``CHAOSGUARD_LATENCY_LOOP=asyncio`` selects the
standard loop).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
import traceback
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from chaosguard.faults.child import forked_setup, report_error, report_ready, worker_setup
from chaosguard.faults.latency import control
from chaosguard.faults.latency._cap import Cap, LocalCap, SharedCap
from chaosguard.faults.latency._family import (
    Siblings,
    fork_siblings,
    listeners,
    merged_snapshot,
    serve_sibling,
)
from chaosguard.faults.latency._proxy import LatencyProxy
from chaosguard.faults.latency._tune import freeze_heap, request_slice
from chaosguard.faults.latency.spec import (
    DEFAULT_MAX_CONNECTIONS,
    MAX_PROCESSES,
    Toxic,
    join_address,
    split_address,
)

#: ``asyncio`` selects the standard event loop instead of uvloop (for comparisons and debugging).
LOOP_ENV = "CHAOSGUARD_LATENCY_LOOP"


def _parse(rest: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chaosguard.faults.latency")
    parser.add_argument("--listen", required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--toxic", required=True)
    parser.add_argument("--control", required=True)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS)
    parser.add_argument("--processes", type=int, default=1)
    return parser.parse_args(rest)


def _handler(proxy: LatencyProxy, siblings: Siblings) -> control.Handler:
    def handle(req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op")
        if op == "ping":
            return {"ok": True, "pid": os.getpid()}
        if op == "get":
            parts = siblings.ask({"op": "get", "reset": bool(req.get("reset"))})
            snapshot = merged_snapshot(proxy, parts)
            if req.get("reset"):
                proxy.lateness.reset()
            return {"ok": True, **snapshot}
        if op == "set":
            try:
                toxic = Toxic.model_validate(req.get("toxic") or {})
            except ValidationError as exc:
                return {"ok": False, "error": f"invalid toxic: {exc.errors()[0]['msg']}"}
            siblings.change(toxic.model_dump(mode="json"), proxy.toxic.model_dump(mode="json"))
            proxy.set_toxic(toxic)  # last: a change the siblings could not all take is not made
            return {"ok": True, "toxic": toxic.model_dump(mode="json")}
        return {"ok": False, "error": f"unknown op {op!r}"}

    return handle


def _reap_every(loop: asyncio.AbstractEventLoop, siblings: Siblings, period: float = 1.0) -> None:
    siblings.reap()
    if len(siblings):
        loop.call_later(period, _reap_every, loop, siblings, period)


async def serve(
    args: argparse.Namespace,
    toxic: Toxic,
    upstream: tuple[str, int],
    listener: socket.socket,
    siblings: Siblings,
    cap: Cap,
) -> int:
    """Process 0: serve ``listener`` and the control channel until the process is stopped."""
    loop = asyncio.get_running_loop()
    proxy = LatencyProxy(upstream, toxic, seed=args.seed, cap=cap)
    await proxy.listen_on(listener)
    path = Path(args.control)
    try:
        server = await control.serve(path, _handler(proxy, siblings))  # keep it: closed on GC
    except OSError as exc:
        report_error(f"cannot open control socket {path}: {exc.strerror or exc}")
        return 1
    try:
        siblings.ask({"op": "ping"})  # every sibling serves before the proxy says ready
    except control.ControlError as exc:
        report_error(str(exc))
        return 1
    _reap_every(loop, siblings)
    proxy.tuning["short_slice"] = request_slice()
    host, port = listener.getsockname()[:2]
    report_ready(listen=join_address(host, port), control=str(path), upstream_addr=list(upstream))
    async with server:
        await server.serve_forever()
    return 0


def _run(main: Coroutine[Any, Any, Any]) -> Any:
    if os.environ.get(LOOP_ENV) != "asyncio":
        try:
            import uvloop
        except ImportError:  # pragma: no cover - uvloop is a Linux dependency
            pass
        else:
            return uvloop.run(main)
    return asyncio.run(main)


def _resolve(address: str) -> tuple[str, int]:
    infos = socket.getaddrinfo(*split_address(address), type=socket.SOCK_STREAM)
    return str(infos[0][4][0]), int(infos[0][4][1])


def main(argv: Sequence[str] | None = None) -> int:
    """Worker entry point: bind, fork the siblings, serve."""
    common, rest = worker_setup(argv)
    args = _parse(rest)
    toxic = Toxic.model_validate_json(args.toxic)
    count = max(1, min(args.processes, MAX_PROCESSES))
    try:
        upstream = _resolve(args.upstream)
    except OSError as exc:
        report_error(f"cannot resolve upstream {args.upstream}: {exc.strerror or exc}")
        return 1
    try:
        socks = listeners(*split_address(args.listen, allow_port_zero=True), count)
    except OSError as exc:
        report_error(f"cannot listen on {args.listen}: {exc.strerror or exc}")
        return 1
    cap: Cap = (
        SharedCap(args.max_connections, count) if count > 1 else LocalCap(args.max_connections)
    )
    freeze_heap()  # before the fork: the siblings share the frozen start-up heap
    slot, link = fork_siblings(count, lambda: forked_setup(common))
    for index, sock in enumerate(socks):
        if index != slot:
            sock.close()
    if not isinstance(link, Siblings):
        assert isinstance(cap, SharedCap)
        cap.slot = slot
        seed = None if args.seed is None else args.seed + slot
        _sibling_main(_sibling(toxic, upstream, seed, cap, socks[slot], link))
    if isinstance(cap, SharedCap):  # siblings exist only then: a gone one frees its slot
        link.on_gone.append(cap.clear)
    with contextlib.suppress(KeyboardInterrupt):
        return int(_run(serve(args, toxic, upstream, socks[0], link, cap)))
    return 0


def _sibling_main(sibling: Coroutine[Any, Any, None]) -> NoReturn:
    """Run a sibling to its end and leave at once (a forked process never returns into the
    worker's start-up code nor runs its exit handlers); a crash shows in its exit status."""
    code = 0
    try:
        _run(sibling)
    except (KeyboardInterrupt, SystemExit):
        pass
    except Exception:  # to the worker's log, then the process ends with status 1
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)


async def _sibling(
    toxic: Toxic,
    upstream: tuple[str, int],
    seed: int | None,
    cap: Cap,
    listener: socket.socket,
    chan: socket.socket,
) -> None:
    request_slice()
    proxy = LatencyProxy(upstream, toxic, seed=seed, cap=cap)
    await serve_sibling(proxy, listener, chan)


if __name__ == "__main__":
    sys.exit(main())
