"""Remove Chaos Mesh objects carrying chaosguard's labels whose run is dead or unknown.

The ledger is the first line of defence: a dead run's open records are reverted through the fault
contract by :func:`chaosguard.faults.cleanup.cleanup_dead_runs`. This sweep is the second: it lists
the objects labelled ``app.kubernetes.io/managed-by=chaosguard`` + ``chaosguard.io/run-id`` in every
cluster the ledger knows about (and any given explicitly) and deletes those whose run

- is in this machine's ledger (live or archived) and its runner is gone → **dead**;
- is not in the ledger, and the object's ``chaosguard.io/runner`` annotation names this host and a
  process (pid + start time) that no longer exists → **dead**;
- is not in the ledger and the object carries no runner annotation → **unknown**.

Only what re-validates is used: records of a quarantinable run file or whose spec does not
re-validate name no cluster or namespace; an object is deleted only when its name and namespace are
Kubernetes names and with its uid as the DELETE's precondition. An object whose runner is alive is
kept; so is one whose runner is on another host (we cannot tell
whether it lives — pass ``all_hosts=True`` to remove those too). Never raises for one cluster's
failure: it becomes a ``failed: …`` item, like cleanup's.

Caller: :func:`chaosguard.faults.cleanup.sweep` (what ``chaos cleanup`` runs), right after the dead
runs' records were reverted; its items are :class:`~chaosguard.faults.items.CleanupItem` too. With
no Chaos Mesh record in the ledger and no cluster given it returns ``[]`` at once, without importing
``kubernetes`` or contacting anything, so calling it unconditionally is cheap. It is deliberately
not called at every run's start (as dead-run reverts are): that would contact clusters on every run.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaosguard.errors import Refused
from chaosguard.faults.items import CleanupItem
from chaosguard.ledger.identity import is_alive
from chaosguard.ledger.store import RunState, ledger_dir, read_run

if TYPE_CHECKING:
    from chaosguard.kube.api import Api
    from chaosguard.kube.config import Cluster

__all__ = ["clusters_in_ledger", "sweep_leftovers"]

#: The Chaos Mesh fault kinds' names (a test checks them against the kinds): the kinds, their
#: pydantic specs and the Kubernetes client load only when the ledger names one, or a cluster is
#: given, so every run's start (which imports this through cleanup) does not pay for them.
_NAMES = ("chaosmesh-network", "chaosmesh-stress")


def _all_runs(root: Path | None) -> dict[str, RunState]:
    directory = ledger_dir(root)
    paths = [*sorted(directory.glob("*.jsonl")), *sorted((directory / "archive").glob("*.jsonl"))]
    return {state.run_id: state for state in (read_run(p) for p in paths)}


def clusters_in_ledger(
    root: Path | None = None, runs: dict[str, RunState] | None = None
) -> dict[Cluster, set[str]]:
    """Every cluster a Chaos Mesh record of the ledger (live or archived) names → its namespaces."""
    found: dict[Cluster, set[str]] = {}
    for state in (runs if runs is not None else _all_runs(root)).values():
        if state.problem is not None:
            continue  # an untrusted file names nothing
        for record in state.records.values():
            if record.kind not in _NAMES:
                continue
            from chaosguard.faults.chaosmesh.handles import checked
            from chaosguard.kube.config import Cluster

            try:
                spec, _ = checked(record)
            except ValueError:
                continue
            found.setdefault(Cluster.from_spec(spec.model_dump()), set()).add(spec.namespace)
    return found


def _verdict(
    obj: dict[str, Any], runs: dict[str, RunState], all_hosts: bool
) -> tuple[bool, str, int]:
    """(delete?, why, runner pid)."""
    from chaosguard.faults.chaosmesh.kind import ANN_RECORD, ANN_RUNNER, LABEL_RUN

    meta = obj.get("metadata") or {}
    annotations, labels = meta.get("annotations") or {}, meta.get("labels") or {}
    record_id = annotations.get(ANN_RECORD, "")
    run_id = record_id.rsplit(".", 1)[0] if "." in record_id else labels.get(LABEL_RUN, "")
    state = runs.get(run_id)
    if state is not None:
        alive = state.runner_alive()
        return (not alive, "run alive" if alive else "run dead", state.pid)
    runner = str(annotations.get(ANN_RUNNER, ""))
    parts = runner.split("/")
    if len(parts) == 3:
        host, pid_text, start_text = parts
        try:
            pid, start = int(pid_text), float(start_text)
        except ValueError:
            return True, "unknown run (unreadable runner annotation)", 0
        if host != socket.gethostname():
            return all_hosts, f"runner on host {host}", pid
        alive = is_alive(pid, start)
        return (not alive, "runner alive" if alive else "runner dead (not in the ledger)", pid)
    return True, "unknown run", 0


def sweep_leftovers(
    root: Path | None = None,
    dry_run: bool = False,
    clusters: Iterable[Cluster] = (),
    namespaces: Sequence[str] = (),
    all_hosts: bool = False,
) -> list[CleanupItem]:
    """Delete (or, with ``dry_run``, list) labelled Chaos Mesh objects of dead or unknown runs.

    :param clusters: :class:`~chaosguard.kube.config.Cluster` objects to sweep besides those in the
        ledger. With none given and none in the ledger, nothing is contacted (and ``kubernetes`` is
        not imported).
    :param namespaces: only these namespaces (default: the whole cluster; if listing cluster-wide is
        forbidden, the namespaces the ledger names).
    """
    runs = _all_runs(root)
    targets = clusters_in_ledger(root, runs)
    for cluster in clusters:
        targets.setdefault(cluster, set())
    items: list[CleanupItem] = []
    for cluster, recorded in targets.items():
        try:
            items.extend(_sweep_cluster(cluster, recorded, runs, dry_run, namespaces, all_hosts))
        except Exception as exc:
            items.append(CleanupItem("?", cluster.describe(), "chaosmesh", f"failed: {exc}"))
    return items


def _objects(
    api: Api, plural: str, namespaces: Sequence[str], recorded: set[str]
) -> list[dict[str, Any]]:
    from chaosguard.faults.chaosmesh.handles import is_label
    from chaosguard.faults.chaosmesh.kind import GROUP, MANAGED_SELECTOR, VERSION

    query = {"labelSelector": MANAGED_SELECTOR}
    if not namespaces:
        try:
            return api.list(f"/apis/{GROUP}/{VERSION}/{plural}", query) or []
        except Refused:
            namespaces = sorted(recorded)
    out: list[dict[str, Any]] = []
    for ns in namespaces:
        if not is_label(ns):
            continue
        out.extend(api.list(f"/apis/{GROUP}/{VERSION}/namespaces/{ns}/{plural}", query) or [])
    return out


def _sweep_cluster(
    cluster: Cluster,
    recorded: set[str],
    runs: dict[str, RunState],
    dry_run: bool,
    namespaces: Sequence[str],
    all_hosts: bool,
) -> list[CleanupItem]:
    from chaosguard.faults.chaosmesh.handles import is_label, is_subdomain
    from chaosguard.faults.chaosmesh.kind import ANN_RECORD, NETWORK_KIND, STRESS_KIND
    from chaosguard.kube.api import Api

    api = Api(cluster)
    items = []
    for kind in (NETWORK_KIND, STRESS_KIND):
        for obj in _objects(api, kind.plural, namespaces, recorded):
            delete, why, pid = _verdict(obj, runs, all_hosts)
            meta = obj.get("metadata") or {}
            record_id = (meta.get("annotations") or {}).get(ANN_RECORD, meta.get("name", ""))
            run_id = record_id.rsplit(".", 1)[0] if "." in record_id else "?"
            name, namespace, uid = meta.get("name", ""), meta.get("namespace", ""), meta.get("uid")
            if not delete or not (is_subdomain(name) and is_label(namespace) and uid):
                continue
            target = f"{namespace}/{kind.kind}/{name} uid {uid}"
            if dry_run:
                items.append(
                    CleanupItem(run_id, record_id, kind.name, f"would-delete ({why})", pid, target)
                )
                continue
            body = {
                "apiVersion": "v1",
                "kind": "DeleteOptions",
                "preconditions": {"uid": uid},
            }
            status, _ = api.delete(kind.path(namespace, name), body)
            outcome = "vanished" if status in (404, 409) else "deleted"
            items.append(
                CleanupItem(
                    run_id, record_id, kind.name, f"{outcome} by label ({why})", pid, target
                )
            )
    return items
