"""Local network latency: a TCP proxy that adds latency, jitter, a bandwidth cap or resets.

- :mod:`.spec`: what is asked (:class:`~.spec.Spec` of a proxy, :class:`~.spec.Toxic`,
  :class:`~.spec.ToxicChange` of another run's proxy), address parsing and the live pre-checks.
- :mod:`.kind`: the two kinds, ``latency-proxy`` (inject starts the worker, change replaces its
  toxic, revert stops it) and ``latency-toxic`` (this run's toxic on a proxy another run owns;
  revert restores the toxic it had before).
- :mod:`.control`: the worker's JSON-line control socket, both sides.
- the worker (private): ``__main__`` (the process), :mod:`._proxy` (the asyncio engine),
  :mod:`._pipe` (one direction of a connection: the delay FIFO), :mod:`._sched` (the one
  deadline-sorted schedule and timer of all FIFOs), :mod:`._toxics` (when a chunk is due;
  release-lateness evidence), :mod:`._tune` (collector and scheduler settings of the process).

This package's ``__init__`` imports nothing.
"""
