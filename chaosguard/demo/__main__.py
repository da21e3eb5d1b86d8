"""``python -m chaosguard.demo`` (``make demo`` runs it): the latency SLO experiment, end to end."""

from chaosguard.demo.run import main

if __name__ == "__main__":
    raise SystemExit(main())
