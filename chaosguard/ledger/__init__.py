"""The ledger: run identity, state paths, the crash-safe fault ledger and locks (layer 1).

Nothing in chaosguard changes the world before its record is in a run's ledger file on disk
(:mod:`~chaosguard.ledger.store`). A run is one runner process, known by pid *and* start time
(:mod:`~chaosguard.ledger.identity`); its file lives under the state directory
(:mod:`~chaosguard.ledger.paths`); crash-safe writes and directory fsyncs are in
:mod:`~chaosguard.ledger.files`; one guarded run per target scope is a file lock
(:mod:`~chaosguard.ledger.lock`). This layer knows no fault kind: reverting what a record describes is
the job of :mod:`chaosguard.faults`. Importing it is cheap (fault workers do).
"""
