"""Kill 250 of 500 pods: chaosguard's ``kill_pods`` side by side with chaostoolkit-kubernetes'
``terminate_pods``, same cluster, same count, same recovery measurement.

Prints figures, asserts nothing. The last line is one JSON object (machine-readable summary).

* Cluster: its own :class:`tests.k8s_cluster.TestCluster` with node Leases on (see
  ``BenchCluster``): real etcd, kube-apiserver with TLS and RBAC, controller-manager, scheduler;
  kwok fakes the kubelet on ``--nodes`` (8) fake nodes of 110 pods each (the capacity the test
  cluster registers; 500 replicas plus their replacements need at least 6).
* Workload: one Deployment of ``--replicas`` (500) pods.
* Each round kills ``--kill`` (250) pods, random pick, grace period 0 (deleted at once), with
  one tool:
  - ``delete_s``: from the call until it returned (select: list + pick; delete: every DELETE
    answered);
  - ``recovered_s``: from the call until the Deployment is whole again — the same check for both
    tools (:func:`chaosguard.kube.workloads.wait_recovered`: controller status ready AND a pod list
    showing that many Ready pods, none of them a killed one; polled every 0.1 s).
  Rounds alternate between the tools (chaosguard first); before each round the Deployment is back to
  all replicas ready. Each kill runs in a fresh child process, as in a `chaos run`: modules are
  imported before the clock starts; kubeconfig loading and TLS connections are inside it, for both
  tools.
* chaosguard runs with the default policy (``respect_pdb``: it also lists the PodDisruptionBudgets,
  and asks RBAC whether it may delete) and records the kill in its ledger (fsync) — all inside
  ``delete_s``.

Recovery time is dominated by the control plane (ReplicaSet controller's API rate limit, scheduler,
kwok), identical for both tools; it is reported, not compared.

The machine is shared and noisy: rounds vary by 2x; compare medians, and the rounds side by side.

Run: ``.venv/bin/python benchmarks/pod_kill_scale.py`` (about 3-4 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_policy import allow_unguarded_actions  # noqa: E402

os.environ.setdefault("CHAOSGUARD_HOME", tempfile.mkdtemp(prefix="cg-bench-"))
allow_unguarded_actions()  # replaces any policy of the machine: the figures need none

from tests.k8s_cluster import TestCluster  # noqa: E402

NS = "bench"
LABELS = {"app": "web"}


class BenchCluster(TestCluster):
    """The test cluster with kwok keeping node Leases (``--node-lease-duration-seconds=40``).

    Without a lease kwok heartbeats each node's status only every ~50-60 s, right at the controller
    manager's 50 s node-monitor grace period: under load a node flaps NotReady, every pod on it
    loses Ready, and kwok (whose pod-ready stage only acts on Pending pods) never gives it back.
    """

    def _spawn(self, name: str, args: Any) -> Any:
        if name == "kwok":
            args = [*args, "--node-lease-duration-seconds=40"]
        return super()._spawn(name, args)


def deployment(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {"containers": [{"name": "web", "image": "registry.invalid/bench/web:1"}]},
            },
        },
    }


def uids_by_name(api: Any) -> dict[str, str]:
    from chaosguard.kube.pods import list_pods

    return {p.name: p.uid for p in list_pods(api, NS, "app=web")}


def one_kill(tool: str, count: int) -> None:
    """Child process: one kill with one tool, as a `chaos run` would do it (fresh process, cold
    connections). Imports happen before the clock starts; the last stdout line is JSON."""
    from chaosguard.kube.api import Api
    from chaosguard.kube.config import forget_clients, resolve_cluster

    if tool == "chaosk8s":
        from chaosk8s.pod.actions import terminate_pods

        # not timed: which uids die, for the recovery check
        before = uids_by_name(Api(resolve_cluster()))
        forget_clients()  # no connection of ours left open during the kill
        t0 = time.time()
        names = terminate_pods(
            label_selector="app=web", rand=True, mode="fixed", qty=count, grace_period=0, ns=NS
        )
        delete_s = time.time() - t0
        uids = [before[n] for n in names if n in before]
    else:
        import importlib

        from chaosguard.actions.pods import kill_pods

        # imported by the kill otherwise: not what we time
        for module in (
            "kubernetes.client",
            "urllib3",
            "chaosguard.faults.podkill.kind",
            "chaosguard.kube.pdb",
            "chaosguard.policy.active",
            "chaosguard.policy.kube_plans",
        ):
            importlib.import_module(module)

        t0 = time.time()
        out = kill_pods(NS, label_selector="app=web", count=count, order="random", grace_period_s=0)
        delete_s = time.time() - t0
        uids = [p["uid"] for p in out["pods"] if p.get("result") == "deleted"]
    print(json.dumps({"t0": t0, "delete_s": delete_s, "uids": uids}))


def kill_in_child(tool: str, count: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--one", tool, "--kill", str(count)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{tool} kill failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, default=500)
    parser.add_argument("--kill", type=int, default=250)
    parser.add_argument("--nodes", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per tool")
    parser.add_argument("--one", choices=["chaosguard", "chaosk8s"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one_kill(args.one, args.kill)
        return

    t_start = time.monotonic()
    cluster = BenchCluster(nodes=args.nodes)
    cluster.start()
    try:
        os.environ["KUBECONFIG"] = str(cluster.kubeconfig)
        print(
            f"cluster up in {cluster.startup_seconds:.1f} s ({args.nodes} kwok nodes x 110 pods)",
            flush=True,
        )
        from chaosguard.kube.api import Api
        from chaosguard.kube.config import resolve_cluster
        from chaosguard.kube.workloads import wait_recovered

        cluster.kubectl("create", "namespace", NS)
        cluster.kubectl("apply", "-f", "-", input=json.dumps(deployment(args.replicas)))
        api = Api(resolve_cluster())
        t0 = time.time()
        setup_s = wait_recovered(
            api, NS, "deployment", "web", since=t0, timeout_s=600, interval_s=0.5
        )
        print(f"{args.replicas} replicas ready in {setup_s:.1f} s", flush=True)

        tools = ("chaosguard", "chaosk8s")
        results: dict[str, list[dict[str, float]]] = {name: [] for name in tools}
        print(
            f"\n{'round':>5}  {'tool':<10} {'killed':>6} {'delete_s':>9} {'recovered_s':>12}",
            flush=True,
        )
        for rnd in range(args.rounds):
            for name in tools:
                wait_recovered(api, NS, "deployment", "web", timeout_s=600, interval_s=0.2)
                time.sleep(2.0)  # let the controllers settle after the previous round
                out = kill_in_child(name, args.kill)
                recovered_s = wait_recovered(
                    api,
                    NS,
                    "deployment",
                    "web",
                    since=out["t0"],
                    killed=frozenset(out["uids"]),
                    timeout_s=600,
                    interval_s=0.1,
                )
                results[name].append(
                    {
                        "killed": len(out["uids"]),
                        "delete_s": out["delete_s"],
                        "recovered_s": recovered_s,
                    }
                )
                print(
                    f"{rnd + 1:>5}  {name:<10} {len(out['uids']):>6} {out['delete_s']:>9.3f} "
                    f"{recovered_s:>12.2f}",
                    flush=True,
                )
    finally:
        cluster.stop()

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    ratios = [
        k["delete_s"] / c["delete_s"]
        for c, k in zip(results["chaosguard"], results["chaosk8s"], strict=True)
    ]
    print(f"\n{'median of ' + str(args.rounds):<14} {'delete_s':>9} {'recovered_s':>12}")
    for name in tools:
        print(f"{name:<14} {med(name, 'delete_s'):>9.3f} {med(name, 'recovered_s'):>12.2f}")
    speedup = med("chaosk8s", "delete_s") / med("chaosguard", "delete_s")
    print(
        f"deletion speedup of chaosguard over chaosk8s: {speedup:.1f}x (medians); per round: "
        + ", ".join(f"{r:.1f}x" for r in ratios)
        + f" (total run {time.monotonic() - t_start:.0f} s)"
    )
    print(
        json.dumps(
            {
                "speedup_vs_chaosk8s": round(speedup, 2),
                "delete_s": round(med("chaosguard", "delete_s"), 3),
                "recovered_s": round(med("chaosguard", "recovered_s"), 2),
                "chaosk8s_delete_s": round(med("chaosk8s", "delete_s"), 3),
                "chaosk8s_recovered_s": round(med("chaosk8s", "recovered_s"), 2),
                "replicas": args.replicas,
                "killed": args.kill,
                "rounds": args.rounds,
            }
        )
    )


if __name__ == "__main__":
    main()
