"""Chaos Mesh faults (``chaosmesh-network``, ``chaosmesh-stress``): the object is the fault.

- :mod:`.spec`: :class:`~.spec.ChaosMeshSpec` (cluster, namespace, the CR ``spec``) and the builders
  of NetworkChaos ``delay`` and StressChaos ``stressors`` specs from an activity's arguments.
- :mod:`.kind`: the two kinds. Validate is a server-side dry run; the record is written before the
  object is created, the object is named after the record (so a revert finds it even when the runner
  died before learning its uid) and labelled ``chaosguard.io/run-id`` / ``chaosguard.io/record``;
  revert deletes it (404 = vanished) and waits, bounded, until Chaos Mesh has let it go. A fault
  cannot change (Chaos Mesh refuses spec updates).
- :mod:`.sweep`: remove objects carrying our labels whose run is dead or unknown (part of
  :func:`chaosguard.faults.cleanup.sweep`).

chaosguard creates and deletes the objects; the Chaos Mesh controller and daemons (not chaosguard)
apply and recover the fault inside the pods.
"""
