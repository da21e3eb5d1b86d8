"""Kill Kubernetes pods under the policy's blast radius, concurrently, each kill in the ledger.

Before anything is deleted, in this order: the arguments are checked (one-line ``InvalidArgument``
naming the argument), the namespace against the policy (``namespaces.allow``/``deny``), the
kubeconfig and context (never a silent ``http://localhost``), the pods that match now (none → an
error naming the namespace or selector), the policy over those pods (``label_selectors``,
``max_targets`` count and percent of the matching pods), the PodDisruptionBudgets covering them
(``respect_pdb``), whether RBAC lets us delete pods there, and right before the deletion the
policy's gate (:func:`chaosguard.policy.gate.admit`: kill switch, windows, freezes,
``allow_unguarded``; a dry run deletes nothing and skips it). The policy is the guard's when a
guarded run is active in this process, else ``$CHAOSGUARD_POLICY`` (or the defaults): it applies
guarded or not.

Kubeconfig: ``configuration.kubeconfig_path`` / ``kubernetes_context``, or the secrets / environment
variables ``KUBECONFIG``, ``KUBERNETES_CONTEXT`` as in chaostoolkit-kubernetes; TLS is verified
unless ``KUBERNETES_VERIFY_SSL=false``. See :mod:`chaosguard.kube.config`.
"""

# No ``from __future__ import annotations``: Chaos Toolkit's discovery reads real annotation types.
import logging
import time
from dataclasses import asdict
from typing import Any

from chaosguard import faults
from chaosguard.actions._args import check_types, checked_by
from chaosguard.errors import ChaosGuardError, Refused
from chaosguard.policy.gate import admit

__all__ = ["kill_pods"]

logger = logging.getLogger("chaostoolkit")


def _request(values: dict[str, Any]) -> object:
    from chaosguard.policy.kube_plans import kill_request

    return kill_request(values)


@checked_by(_request)
def kill_pods(
    namespace: str,
    label_selector: str = "",
    name_pattern: str = "",
    count: int = 0,
    percent: float = 0.0,
    order: str = "random",
    grace_period_s: int = -1,
    dry_run: bool = False,
    configuration: dict = None,
    secrets: dict = None,
) -> dict:
    """Delete some running pods of ``namespace`` matching ``label_selector``/``name_pattern``.

    The pods are deleted concurrently; each deletion names the pod's uid, so a pod re-created under
    the same name meanwhile is left alone. Controllers (ReplicaSets, StatefulSets) replace killed
    pods; the ``time_to_recovery`` probe of :mod:`chaosguard.probes.kubernetes` measures how fast.

    :param namespace: the namespace of the pods.
    :param label_selector: kubectl-style label selector, e.g. ``app=web,tier!=db``; give it and/or
        ``name_pattern`` (an empty selection would be every pod of the namespace and is refused).
    :param name_pattern: regular expression searched in each pod's name.
    :param count: how many of the matching pods to kill (give ``count`` or ``percent``).
    :param percent: share of the matching pods to kill, 0 < percent <= 100, rounded down (at
        least one pod).
    :param order: which pods go first: ``random`` (default), ``alphabetic``, ``oldest``, ``newest``.
    :param grace_period_s: seconds the pods get to stop; ``-1`` (default) keeps each pod's own,
        ``0`` kills at once.
    :param dry_run: select and check everything, log and return the pods that would be killed,
        delete nothing and record nothing.
    :param configuration: Chaos Toolkit configuration (``kubeconfig_path``, ``kubernetes_context``).
    :param secrets: Chaos Toolkit secrets (``KUBECONFIG``, ``KUBERNETES_CONTEXT``,
        ``KUBERNETES_VERIFY_SSL``).
    :returns: ``{"namespace", "matching", "pods": [{"name", "uid", "node"[, "at", "result"]}],
        "dry_run", "record"}``; ``record`` is the id of the ledger record (the evidence; ``None``
        in a dry run).
    """
    check_types(kill_pods, locals())
    from chaosguard.faults.podkill.spec import PodKillSpec, PodTarget
    from chaosguard.kube.workloads import note_kill
    from chaosguard.policy.active import active_policy
    from chaosguard.policy.kube_plans import plan_pod_kill

    plan = plan_pod_kill(
        active_policy(),
        namespace,
        label_selector,
        name_pattern,
        count,
        percent,
        order,
        grace_period_s,
        configuration,
        secrets,
    )
    ns = plan.request.namespace
    chosen = [p.evidence() for p in plan.chosen]
    summary: dict[str, Any] = {
        "namespace": ns,
        "matching": len(plan.matching),
        "pods": chosen,
        "dry_run": dry_run,
        "record": None,
        "budgets": [asdict(b) for b in plan.budgets],
    }
    if dry_run:
        logger.info(
            "chaosguard: dry run, would kill %d of %d matching pod(s) in %s: %s",
            len(chosen),
            len(plan.matching),
            ns,
            ", ".join(p["name"] for p in chosen),
        )
        return summary
    from chaosguard.kube.api import Api

    allowed, _ = Api(plan.cluster).can_i("delete", "pods", ns)
    if not allowed:
        raise Refused(
            f"refused by Kubernetes RBAC ({plan.cluster.describe()}): not allowed to delete "
            f"pods in namespace '{ns}'; nothing was deleted"
        )
    admit(f"{__name__}:kill_pods", {})
    spec = PodKillSpec(
        **plan.cluster.as_spec(),
        namespace=ns,
        grace_period_s=plan.request.grace_period_s,
        targets=tuple(PodTarget(**pod) for pod in chosen),
    )
    started = time.time()
    record = faults.inject("pod-kill", spec)  # not revertible: closed at once, kept as evidence
    killed, failed = record.handles.get("killed", []), record.handles.get("failed", [])
    note_kill(ns, started, [p["uid"] for p in killed])
    logger.info(
        "chaosguard: killed %d pod(s) in %s: %s",
        len(killed),
        ns,
        ", ".join(p["name"] for p in killed),
    )
    summary.update(
        record=record.id,
        pods=killed + record.handles.get("gone", []) + failed,
        duration_s=round(time.time() - started, 3),
    )
    if failed:
        raise ChaosGuardError(
            f"killed {len(killed)} of {len(chosen)} pod(s) in '{ns}'; "
            f"{len(failed)} deletion(s) failed, first: {failed[0].get('error')}"
        )
    return summary
