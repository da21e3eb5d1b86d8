"""Kubernetes support: connect to a cluster, select pods, count PodDisruptionBudgets, read a kill switch.

One job: give the Kubernetes fault kinds, actions and probes a small, typed, fast way to talk to the API
server — with one-line errors a person can act on, and without the surprises of the stock client:

- ``config``: where the cluster is (kubeconfig + context, or in-cluster). Never silently
  ``http://localhost:80``: no kubeconfig is an :class:`~chaosguard.errors.InvalidArgument`. TLS
  verification is ON unless explicitly turned off.
- ``api``: raw JSON requests over the official client's connection pool (no model deserialization),
  errors converted at the boundary (403 names the verb, resource and namespace).
- ``pods``: select pods (label selector and/or name pattern, count or percent, order).
- ``pdb``: which PodDisruptionBudgets cover the selected pods and what they allow now.
- ``blast``: the policy checks of a Kubernetes action, run at injection time (guarded or not).
- ``workloads``: ready replicas and recovery of Deployments and StatefulSets.
- ``killswitch``: the ``configmap`` kill-switch reader (:func:`~chaosguard.kube.configmaps.install`
  registers it; importing this package has no side effect).

The ``kubernetes`` package (~0.75 s to import) is imported only when a connection is first made, never
by importing this package.
"""
