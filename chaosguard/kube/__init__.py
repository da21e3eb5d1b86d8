"""Kubernetes: connect to a cluster, select pods, count PodDisruptionBudgets, read ConfigMaps.

One job: give the Kubernetes fault kinds, actions, probes and policy checks a small, typed, fast way
to talk to the API server — with one-line errors a person can act on, and without the surprises of
the stock client. Its modules: ``config`` says where the cluster is (kubeconfig + context, or
in-cluster; never a silent ``http://localhost:80``: no kubeconfig is an
:class:`~chaosguard.errors.InvalidArgument`; TLS verification is ON unless explicitly turned off);
``api`` makes raw JSON requests over the official client's connection pool (no model
deserialization), errors converted at the boundary (403 names the verb, resource and namespace);
``names`` knows what a namespace name looks like; ``pods`` selects pods (label selector and/or name
pattern, count or percent, order); ``pdb`` finds the PodDisruptionBudgets that cover the selected
pods and what they allow now; ``workloads`` reads ready replicas and the recovery of Deployments and
StatefulSets; ``configmaps`` is a plain ConfigMap reader (the cluster side of the ``configmap``
kill-switch source, whose meaning lives in :mod:`chaosguard.policy.killswitch`). The policy checks
of a Kubernetes action (blast radius, plans) live one layer up, in
:mod:`chaosguard.policy.kube_blast` and :mod:`chaosguard.policy.kube_plans`. The ``kubernetes``
package (~0.75 s to import) is imported only when a connection is first made, never by importing
this package.
"""
