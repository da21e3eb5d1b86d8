"""The ``pod-kill`` fault: delete the pods the spec names, each only while it is still the same pod.

- :mod:`.spec`: :class:`~.spec.PodKillSpec` (cluster, namespace, grace period, the pods by name and
  uid).
- :mod:`.kind`: the kind. Deletions run concurrently, each with a uid precondition; the fault cannot
  be reverted or changed, so its record is closed at once and kept as evidence.

Selection and policy happen before (:mod:`chaosguard.policy.kube_plans`); this kind acts on exactly
the pods in the spec.
"""
