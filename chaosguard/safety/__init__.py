"""Safety: the fault ledger, run identity and cleanup of dead runs (the guard control joins here).

Nothing in chaosguard changes the world before its record is in the ledger on disk.
"""
