"""The ``process-signal`` fault: deliver a signal to local processes named by pid and start time.

- :mod:`.spec`: :class:`~.spec.ProcessSignalSpec` (the signal, the targets) and signal names.
- :mod:`.kind`: the kind. ``SIGSTOP``/``SIGTSTP`` pause and are revertible (``SIGCONT``); every
  other signal is permanent, and its record is closed at once as evidence of what was signalled.

Selection happens before (:mod:`chaosguard.local.processes`, judged by :mod:`chaosguard.policy`).
"""
