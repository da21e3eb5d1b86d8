"""The demo's users: steady traffic through the latency proxy, with a live one-line summary.

``python -m chaosguard.demo.load --url URL --rate R`` runs a background sampler against ``URL`` and
prints ``p95`` and error ratio over the last 5 s every ``--every`` seconds until terminated.
"""

from __future__ import annotations

import argparse
import sys
import time

from chaosguard.slo.http.sampler import NoSamples, start_sampler
from chaosguard.slo.http.target import HttpTarget


def main() -> None:
    """Generate load and report until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--every", type=float, default=2.0)
    args = parser.parse_args()
    sampler = start_sampler(
        "users", HttpTarget(url=args.url, timeout_s=3.0), args.rate, concurrency=8
    )
    while True:
        time.sleep(args.every)
        try:
            s = sampler.stats(5.0)
            line = (
                f"[users] last 5 s: {s.requests} req, p95 {s.p95_ms:.0f} ms, "
                f"errors {s.error_ratio:.1%}"
            )
        except NoSamples:
            line = "[users] last 5 s: no completed request"
        print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
