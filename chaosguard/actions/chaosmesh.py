"""Latency and stress inside Kubernetes pods through Chaos Mesh (NetworkChaos, StressChaos objects).

Each action checks its arguments, the policy's blast radius (namespace, label rules over every pod
the selector matches now, ``max_targets`` over the pods the ``mode`` hits at most), asks the cluster
to validate the object against its CRD schema (server-side dry run: a bad value is a one-line
``InvalidArgument`` naming the argument, nothing recorded, nothing created), passes the policy's
gate (:func:`chaosguard.policy.gate.admit`: kill switch, windows, freezes, ``allow_unguarded``),
then writes the ledger
record (fsync) and creates the object — named after the record and labelled
``chaosguard.io/run-id``, ``chaosguard.io/record``. Deleting the object reverts the fault:
``remove_chaos_mesh_faults`` (use it as a rollback), the guard on a breach, the runner's exit, or
``chaos cleanup`` after the runner died.

Chaos Mesh itself (its controller and daemons, installed in the cluster) applies and recovers the
fault. Kubeconfig and TLS: as for :mod:`chaosguard.actions.pods`.
"""

# No ``from __future__ import annotations``: Chaos Toolkit's discovery reads real annotation types.
from typing import Any

from chaosguard import faults
from chaosguard.actions._args import check_types, checked_by
from chaosguard.policy.gate import admit

__all__ = ["add_network_latency", "remove_chaos_mesh_faults", "stress_pods"]

_KINDS = {"network": "chaosmesh-network", "stress": "chaosmesh-stress"}


def _create(action: str, kind_name: str, plan: Any, cr_spec: dict, extra: Any) -> dict:
    from chaosguard.faults.chaosmesh.spec import ChaosMeshSpec

    spec = ChaosMeshSpec(
        **plan.cluster.as_spec(),
        namespace=plan.request.namespace,
        spec=cr_spec,
        extra=extra or {},
    )
    admit(f"{__name__}:{action}", {})
    record = faults.inject(kind_name, spec)  # validate (server-side dry run), record, create
    return {
        "record": record.id,
        "kind": record.handles.get("kind"),
        "name": record.handles.get("name"),
        "namespace": plan.request.namespace,
        "uid": record.handles.get("uid"),
        "matching_pods": len(plan.matching),
        "max_pods_hit": plan.hit_count,
        "spec": cr_spec,
    }


def _delay(values: dict[str, Any]) -> dict[str, Any]:
    """The NetworkChaos spec the arguments ask for, placed by the request alone (no cluster)."""
    from chaosguard.faults.chaosmesh.spec import delay_spec
    from chaosguard.policy.kube_plans import chaos_mesh_request, chaos_mesh_selector

    request = chaos_mesh_request(values)
    selector = chaos_mesh_selector(request.namespace, request.label_selector)
    args = ("latency_ms", "jitter_ms", "correlation_pct", "direction", "duration_s", "extra")
    return delay_spec(selector, request.mode, request.mode_value, *(values[a] for a in args))


def _stress(values: dict[str, Any]) -> dict[str, Any]:
    """The StressChaos spec the arguments ask for, placed by the request alone (no cluster)."""
    from chaosguard.faults.chaosmesh.spec import stress_spec
    from chaosguard.policy.kube_plans import chaos_mesh_request, chaos_mesh_selector

    request = chaos_mesh_request(values)
    selector = chaos_mesh_selector(request.namespace, request.label_selector)
    args = ("cpu_workers", "cpu_load_pct", "memory_workers", "memory_size", "duration_s", "extra")
    return stress_spec(selector, request.mode, request.mode_value, *(values[a] for a in args))


@checked_by(_delay)
def add_network_latency(
    namespace: str,
    label_selector: str,
    latency_ms: float,
    jitter_ms: float = 0.0,
    correlation_pct: float = 0.0,
    direction: str = "to",
    mode: str = "all",
    mode_value: str = "",
    duration_s: int = 0,
    extra: dict = None,
    configuration: dict = None,
    secrets: dict = None,
) -> dict:
    """Delay the network traffic of the selected pods: a Chaos Mesh NetworkChaos ``delay``.

    :param namespace: the namespace of the pods (the fault never reaches beyond it).
    :param label_selector: kubectl-style label selector of the pods, e.g. ``app=web`` (required).
    :param latency_ms: delay added to each packet, in milliseconds.
    :param jitter_ms: random spread around ``latency_ms``, in milliseconds (0 = none).
    :param correlation_pct: how much each packet's delay depends on the previous one's (0-100).
    :param direction: Chaos Mesh ``direction``: ``to`` (default: the pods' outgoing traffic),
        ``from`` or ``both`` (these two need a target, set through ``extra``).
    :param mode: which of the matching pods Chaos Mesh picks: ``all`` (default), ``one``, ``fixed``
        (``mode_value`` pods), ``fixed-percent`` or ``random-max-percent`` (``mode_value`` percent).
    :param mode_value: the number or percent for ``fixed``, ``fixed-percent``,
        ``random-max-percent``.
    :param duration_s: seconds Chaos Mesh keeps the fault; 0 (default) = until it is reverted.
    :param extra: further NetworkChaos ``spec`` fields merged in (e.g.
        ``{"delay": {"reorder": ...}}``, ``{"device": "eth1"}``); ``selector``, ``mode``, ``value``,
        ``target`` and ``duration`` are set by chaosguard only.
    :param configuration: Chaos Toolkit configuration (``kubeconfig_path``, ``kubernetes_context``).
    :param secrets: Chaos Toolkit secrets (``KUBECONFIG``, ``KUBERNETES_CONTEXT``,
        ``KUBERNETES_VERIFY_SSL``).
    :returns: ``{"record", "kind", "name", "namespace", "uid", "matching_pods", "max_pods_hit",
        "spec"}``.
    """
    check_types(add_network_latency, locals())
    from chaosguard.faults.chaosmesh.spec import delay_spec
    from chaosguard.policy.active import active_policy
    from chaosguard.policy.kube_plans import plan_chaos_mesh

    plan = plan_chaos_mesh(
        active_policy(), namespace, label_selector, mode, mode_value, configuration, secrets
    )
    cr_spec = delay_spec(
        plan.selector(),
        plan.request.mode,
        plan.request.mode_value,
        latency_ms,
        jitter_ms,
        correlation_pct,
        direction,
        duration_s,
        extra,
    )
    return _create("add_network_latency", "chaosmesh-network", plan, cr_spec, extra)


@checked_by(_stress)
def stress_pods(
    namespace: str,
    label_selector: str,
    cpu_workers: int = 0,
    cpu_load_pct: int = 100,
    memory_workers: int = 0,
    memory_size: str = "",
    mode: str = "all",
    mode_value: str = "",
    duration_s: int = 0,
    extra: dict = None,
    configuration: dict = None,
    secrets: dict = None,
) -> dict:
    """Burn CPU and/or memory inside the selected pods with a Chaos Mesh StressChaos.

    :param namespace: the namespace of the pods (the fault never reaches beyond it).
    :param label_selector: kubectl-style label selector of the pods, e.g. ``app=web`` (required).
    :param cpu_workers: CPU stressor workers per pod (0 = no CPU stress).
    :param cpu_load_pct: load each CPU worker aims at, 0-100 (default 100).
    :param memory_workers: memory stressor workers per pod (0 = no memory stress).
    :param memory_size: memory each memory worker takes, in Chaos Mesh syntax: ``256MB``,
        ``1GB``, ``50%``.
    :param mode: which of the matching pods Chaos Mesh picks: ``all`` (default), ``one``, ``fixed``,
        ``fixed-percent`` or ``random-max-percent``.
    :param mode_value: the number or percent for ``fixed``, ``fixed-percent``,
        ``random-max-percent``.
    :param duration_s: seconds Chaos Mesh keeps the fault; 0 (default) = until it is reverted.
    :param extra: further StressChaos ``spec`` fields merged in (e.g.
        ``{"containerNames": ["app"]}``); ``selector``, ``mode``, ``value``, ``target`` and
        ``duration`` are set by chaosguard only.
    :param configuration: Chaos Toolkit configuration (``kubeconfig_path``, ``kubernetes_context``).
    :param secrets: Chaos Toolkit secrets (``KUBECONFIG``, ``KUBERNETES_CONTEXT``,
        ``KUBERNETES_VERIFY_SSL``).
    :returns: ``{"record", "kind", "name", "namespace", "uid", "matching_pods", "max_pods_hit",
        "spec"}``.
    """
    check_types(stress_pods, locals())
    from chaosguard.faults.chaosmesh.spec import stress_spec
    from chaosguard.policy.active import active_policy
    from chaosguard.policy.kube_plans import plan_chaos_mesh

    plan = plan_chaos_mesh(
        active_policy(), namespace, label_selector, mode, mode_value, configuration, secrets
    )
    cr_spec = stress_spec(
        plan.selector(),
        plan.request.mode,
        plan.request.mode_value,
        cpu_workers,
        cpu_load_pct,
        memory_workers,
        memory_size,
        duration_s,
        extra,
    )
    return _create("stress_pods", "chaosmesh-stress", plan, cr_spec, extra)


def remove_chaos_mesh_faults(
    kind: str = "", configuration: dict = None, secrets: dict = None
) -> list:
    """Delete every Chaos Mesh object this run created (idempotent; use it as a rollback).

    :param kind: ``network`` or ``stress`` to remove only those; empty (default) removes both.
    :param configuration: Chaos Toolkit configuration (unused: each record names its cluster).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``[{"record", "kind", "name", "outcome"}]`` (``reverted`` or ``vanished``).
    """
    check_types(remove_chaos_mesh_faults, locals())
    from chaosguard.errors import InvalidArgument

    if kind and kind not in _KINDS:
        raise InvalidArgument(
            "kind", f"expected one of {', '.join(_KINDS)} or empty (got {kind!r})"
        )
    names = [_KINDS[kind]] if kind else list(_KINDS.values())
    out = []
    for name in names:
        for record in faults.open_records(name):
            closed = faults.revert(record)
            out.append(
                {
                    "record": closed.id,
                    "kind": closed.handles.get("kind", name),
                    "name": closed.handles.get("name"),
                    "outcome": closed.outcome,
                }
            )
    return out
