"""Record real guard readings from the demo service for ``benchmarks/anomaly_detection.py``.

``python benchmarks/_anomaly_record.py [--seconds 900] [--out PATH]`` starts the demo service
in-process (:mod:`chaosguard.demo.service`'s handler on a free port, 15–45 ms of work per
request) and reads it with the real HTTP SLO source (:class:`chaosguard.slo.http.source.HttpSource`:
its own sampler, 10 requests/s, a 5 s window, p95 and error ratio) once a second, like a guard with
the default 1 s interval. The first full window is dropped (the warm-up the guard also ignores).
The readings and how they were taken go to ``benchmarks/data/demo_readings.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaosguard.demo.service import _Handler
from chaosguard.slo.http.source import HttpSource
from chaosguard.slo.spec import HttpGuard

OUT = Path(__file__).resolve().parent / "data" / "demo_readings.json"


def record(seconds: float, interval_s: float = 1.0) -> dict[str, object]:
    """Serve the demo in a thread, read p95 and error ratio every ``interval_s`` seconds."""
    ThreadingHTTPServer.request_queue_size = 512
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    spec = HttpGuard(name="p95", source="http", url=url, metric="p95_ms", max=500.0)
    source = HttpSource(spec)
    source.start()
    p95: list[float] = []
    errors: list[float] = []
    try:
        time.sleep(spec.window_s + 1.0)  # one full window first: never learn from the warm-up
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            n += 1
            stats = source.sampler.stats(spec.window_s)
            p95.append(round(float(stats.p95_ms), 3))
            errors.append(round(float(stats.error_ratio), 6))
            time.sleep(max(0.0, start + n * interval_s - time.monotonic()))
    finally:
        source.stop()
        server.shutdown()
    return {
        "how": (
            "chaosguard.demo.service handler in-process (15-45 ms uniform work), read by the real "
            f"HTTP sampler (chaosguard.slo.http.source.HttpSource): {spec.rate_per_s:g} req/s, "
            f"{spec.window_s:g} s window, one reading every {interval_s:g} s after one full "
            "window of warm-up; benchmarks/_anomaly_record.py"
        ),
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "interval_s": interval_s,
        "window_s": spec.window_s,
        "p95_ms": p95,
        "error_ratio": errors,
    }


def main() -> None:
    """Record and write the fixture."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=900.0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = record(args.seconds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data) + "\n")
    print(f"{len(data['p95_ms'])} readings -> {args.out}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
