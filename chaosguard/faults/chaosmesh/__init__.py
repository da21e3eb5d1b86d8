"""Chaos Mesh faults on Kubernetes: a NetworkChaos or StressChaos object is the fault; deleting it reverts.

- ``common``: the shared kind — the ledger record is written before the object is created, the object
  is named after the record (so a revert finds it even when the runner died before learning its uid) and
  labelled ``chaosguard.io/run-id`` / ``chaosguard.io/record``; revert deletes it (404 = vanished) and
  waits, bounded, until Chaos Mesh has let it go.
- ``network``: NetworkChaos ``delay`` (latency, jitter, correlation, direction).
- ``stress``: StressChaos CPU and memory stressors.
- ``sweep``: remove objects carrying our labels whose run is dead or unknown (``chaos cleanup``).

chaosguard creates and deletes the objects; the Chaos Mesh controller and daemons (not chaosguard) apply
and recover the fault inside the pods.
"""
