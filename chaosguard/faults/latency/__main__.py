"""The latency worker: ``python -m chaosguard.faults.latency`` (started by
:mod:`chaosguard.faults.workers`).

Arguments after the common worker flags::

    --listen HOST:PORT --upstream HOST:PORT --toxic JSON --control PATH [--seed N]
    [--max-connections N]

It listens, opens its control socket, tunes itself for on-time wake-ups (:mod:`._tune`: a frozen
start-up heap, opt-in short scheduler slices), reports ``listen`` (the bound address) and
``control`` as ready info, then serves until SIGTERM or until the runner's lifeline breaks. It runs
on uvloop when available (``CHAOSGUARD_LATENCY_LOOP=asyncio`` selects the standard loop).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaosguard.faults.child import report_error, report_ready, worker_setup
from chaosguard.faults.latency import control
from chaosguard.faults.latency._proxy import LatencyProxy
from chaosguard.faults.latency._tune import freeze_heap, request_slice
from chaosguard.faults.latency.spec import (
    DEFAULT_MAX_CONNECTIONS,
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
    return parser.parse_args(rest)


def _handler(proxy: LatencyProxy) -> control.Handler:
    def handle(req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op")
        if op == "ping":
            return {"ok": True, "pid": os.getpid()}
        if op == "get":
            snapshot = proxy.snapshot()
            if req.get("reset"):
                proxy.lateness.reset()
            return {"ok": True, **snapshot}
        if op == "set":
            try:
                toxic = Toxic.model_validate(req.get("toxic") or {})
            except ValidationError as exc:
                return {"ok": False, "error": f"invalid toxic: {exc.errors()[0]['msg']}"}
            proxy.set_toxic(toxic)
            return {"ok": True, "toxic": toxic.model_dump(mode="json")}
        return {"ok": False, "error": f"unknown op {op!r}"}

    return handle


async def serve(args: argparse.Namespace) -> int:
    """Run the proxy and its control channel until the process is stopped."""
    toxic = Toxic.model_validate_json(args.toxic)
    proxy = LatencyProxy(
        split_address(args.upstream), toxic, seed=args.seed, max_connections=args.max_connections
    )
    try:
        host, port = await proxy.start(*split_address(args.listen, allow_port_zero=True))
    except OSError as exc:
        report_error(f"cannot listen on {args.listen}: {exc.strerror or exc}")
        return 1
    path = Path(args.control)
    try:
        server = await control.serve(
            path, _handler(proxy)
        )  # keep a reference: uvloop closes it on GC
    except OSError as exc:
        report_error(f"cannot open control socket {path}: {exc.strerror or exc}")
        return 1
    proxy.tuning["short_slice"] = request_slice()
    freeze_heap()
    report_ready(
        listen=join_address(host, port), control=str(path), upstream_addr=list(proxy.upstream_addr)
    )
    async with server:
        await server.serve_forever()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Worker entry point."""
    _, rest = worker_setup(argv)
    args = _parse(rest)
    with contextlib.suppress(KeyboardInterrupt):
        if os.environ.get(LOOP_ENV) != "asyncio":
            try:
                import uvloop
            except ImportError:  # pragma: no cover - uvloop is a Linux dependency
                pass
            else:
                return uvloop.run(serve(args))
        return asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
