"""``python -m chaosguard.demo --serve``: the demo world on its own, for ``chaos run`` by hand.

Starts the service, the latency proxy ``demo-frontend`` and the users (:class:`Topology`), prints
the variables to export (``export NAME=value`` lines on stdout, then a line ``# ready``; what to do
next on stderr), and keeps them up until Ctrl-C or SIGTERM — or until one of its processes dies,
which ends the demo with exit 1. Teardown reverts the proxy through the fault contract and stops
every process, so nothing is left open in the ledger (``chaos ledger list``).
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from types import FrameType

from chaosguard.demo.topology import PROXY_NAME, Topology

__all__ = ["READY", "serve"]

#: the line after the exports: the world is up
READY = "# ready"

_NEXT = """\
The demo world is up. In another terminal, export the variables above, then for example:
  chaos guard check experiments/demo/latency-slo.yaml
  chaos run experiments/demo/latency-slo.yaml
  chaos gameday run experiments/suites/demo.yaml
  chaos ledger list            # the proxy is an open fault of this process while it serves
Ctrl-C (or SIGTERM) stops it and removes everything it started.
"""


def serve(users_rate: float = 20.0) -> int:
    """Serve the demo world until Ctrl-C/SIGTERM; 0 on a clean stop, 1 when a process died."""
    from chaosguard.ledger.paths import state_dir

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    died: list[int] = []
    try:
        with Topology(users_rate) as topo:
            exports = {
                "DEMO_SERVICE_URL": topo.url,
                "DEMO_PROXY_NAME": PROXY_NAME,
                "CHAOSGUARD_HOME": str(state_dir()),
            }
            for name, value in exports.items():
                print(f"export {name}={shlex.quote(value)}")
            print(READY, flush=True)
            sys.stderr.write(_NEXT)
            sys.stderr.flush()
            expected = set(topo.pids())
            while not stop.wait(0.5):
                died = sorted(expected - set(topo.pids()))
                if died:
                    break
            leftover = topo.close()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if died:
        sys.stderr.write(f"demo process(es) {died} died: the demo world is stopped\n")
        return 1
    extra = f" (had to kill {leftover})" if leftover else ""
    sys.stderr.write(f"The demo world is stopped: every process it started is gone{extra}.\n")
    return 0
