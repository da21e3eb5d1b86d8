"""The ledger (layer 2): run identity, state paths, the crash-safe fault ledger and locks.

Nothing in chaosguard changes the world before its record is in a run's ledger file on disk
(:mod:`~chaosguard.ledger.store`): an ``open`` line before a fault is injected, a ``change`` line
(the new spec) before a fault is changed, a ``change-failed`` line when that change did not take,
``update`` lines for what the fault learned, a ``close`` line once it is reverted. A run is one
runner process, known by pid *and* start time (:mod:`~chaosguard.ledger.identity`; the pydantic
models of identities and worker handles in :mod:`~chaosguard.ledger.handles`); its file lives
under the state directory (:mod:`~chaosguard.ledger.paths`: ours alone, every directory 0700); a
run file is parsed and judged in :mod:`~chaosguard.ledger.records` (an untrusted file is
quarantined, never acted on); crash-safe writes and the one directory
fsync are in :mod:`~chaosguard.ledger.files`; one guarded run per target scope is a file lock
(:mod:`~chaosguard.ledger.lock`). This layer knows no fault kind: injecting, changing and reverting
what a record describes is the job of :mod:`chaosguard.faults`. Importing it is cheap (fault
workers do).
"""
