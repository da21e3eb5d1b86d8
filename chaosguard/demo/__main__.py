"""``python -m chaosguard.demo`` (what ``make demo`` runs): the latency SLO experiment, end to end."""

from chaosguard.demo.run import main

if __name__ == "__main__":
    raise SystemExit(main())
