"""Plans of Kubernetes faults: arguments checked, cluster resolved, targets picked, policy enforced.

A plan is everything a fault kind needs to act, decided before anything changes. Order matters and
is the same for every Kubernetes action:

1. arguments → frozen request (one-line ``InvalidArgument`` naming the argument, no network);
2. the policy's namespace rules (a denied namespace never reaches the cluster);
3. kubeconfig/context (``InvalidArgument('kubeconfig', …)`` when none);
4. the pods that match now (nothing matching: unknown namespace or empty selection, named);
5. the policy over the targets; PodDisruptionBudgets for pod kills.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chaosguard.errors import InvalidArgument
from chaosguard.kube.api import Api
from chaosguard.kube.config import Cluster, resolve_cluster
from chaosguard.kube.names import valid_namespace
from chaosguard.kube.pdb import PdbBudget
from chaosguard.kube.pods import Pod, list_pods, namespace_exists, pick
from chaosguard.policy.kube_blast import check_budgets, check_namespace, check_targets
from chaosguard.policy.model import Policy
from chaosguard.policy.selectors import parse_selector
from chaosguard.validation import fields_of, parse, short_repr

__all__ = [
    "CHAOS_MESH_MODES",
    "ChaosMeshPlan",
    "ChaosMeshRequest",
    "KillPlan",
    "KillRequest",
    "chaos_mesh_request",
    "chaos_mesh_selector",
    "kill_request",
    "plan_chaos_mesh",
    "plan_pod_kill",
]

CHAOS_MESH_MODES = ("one", "all", "fixed", "fixed-percent", "random-max-percent")
_WHOLE = re.compile(r"[0-9]{1,9}")


def _selector(value: str) -> str:
    return parse_selector(value).text if value.strip() else ""


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    namespace: str
    label_selector: str = ""

    @field_validator("namespace")
    @classmethod
    def _check_namespace(cls, value: str) -> str:
        return valid_namespace(value)

    @field_validator("label_selector")
    @classmethod
    def _check_selector(cls, value: str) -> str:
        return _selector(value)


class KillRequest(_Request):
    """The arguments of ``kill_pods``, checked."""

    name_pattern: str = ""
    count: int = Field(default=0, ge=0, le=100_000)
    percent: float = Field(default=0.0, ge=0, le=100, allow_inf_nan=False)
    order: Literal["random", "alphabetic", "oldest", "newest"] = "random"
    grace_period_s: int = Field(default=-1, ge=-1, le=86_400)

    @field_validator("name_pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except (re.error, OverflowError, RecursionError) as exc:
            raise ValueError(f"not a regular expression ({exc})") from None
        return value

    def check(self) -> KillRequest:
        """Rules across arguments (``InvalidArgument`` naming the first argument involved)."""
        if (self.count > 0) == (self.percent > 0):
            raise InvalidArgument(
                "count",
                "give exactly one of count (> 0) and percent (> 0) "
                f"(got count={self.count}, percent={self.percent:g})",
            )
        if not self.label_selector and not self.name_pattern:
            raise InvalidArgument(
                "label_selector",
                "give label_selector and/or name_pattern (an empty "
                "selection would be every pod of the namespace)",
            )
        return self


class ChaosMeshRequest(_Request):
    """Where a Chaos Mesh fault lands: namespace, selector, mode and its value."""

    mode: Literal["one", "all", "fixed", "fixed-percent", "random-max-percent"] = "all"
    mode_value: str = ""

    def check(self) -> ChaosMeshRequest:
        """Rules across arguments (``InvalidArgument`` naming the first argument involved)."""
        if not self.label_selector:
            raise InvalidArgument(
                "label_selector", "required (an empty selector would be every pod of the namespace)"
            )
        if self.mode in ("one", "all"):
            if self.mode_value:
                raise InvalidArgument(
                    "mode_value",
                    f"mode '{self.mode}' takes no mode_value (got {short_repr(self.mode_value)})",
                )
            return self
        if not _WHOLE.fullmatch(self.mode_value):
            raise InvalidArgument(
                "mode_value",
                f"mode '{self.mode}' needs a whole number (Chaos Mesh reads it with "
                f"strconv.Atoi; got {short_repr(self.mode_value)})",
            )
        number = int(self.mode_value)
        if self.mode == "fixed" and number < 1:
            raise InvalidArgument(
                "mode_value",
                "mode 'fixed' needs a whole number of pods >= 1 "
                f"(got {short_repr(self.mode_value)})",
            )
        if self.mode != "fixed" and not 0 < number <= 100:
            raise InvalidArgument(
                "mode_value",
                f"mode '{self.mode}' needs a percent in (0, 100] "
                f"(got {short_repr(self.mode_value)})",
            )
        return self

    def hit_count(self, total: int) -> int:
        """How many of ``total`` matching pods Chaos Mesh hits at most, counted as Chaos Mesh does.

        Chaos Mesh, ``pkg/selector/generic/mode.go`` ``FilterObjectsByMode`` (commit 2fa92aa):
        ``fixed``: ``min(value, count)``; ``fixed-percent``:
        ``int(math.Ceil(float64(count) * float64(percentage) / 100))`` ("at least one object
        should be selected"); ``random-max-percent``: a random percentage in ``[0, max]``, then
        the same ``math.Ceil`` — at most ``ceil(count * max / 100)``. Older releases used
        ``math.Floor``; rounding up is the larger of the two, so counting with it never
        under-counts. ``value`` is parsed with ``strconv.Atoi`` (whole numbers only).
        """
        if total <= 0:
            return 0
        if self.mode == "one":
            return 1
        if self.mode == "all":
            return total
        value = int(self.mode_value)
        if self.mode == "fixed":
            return min(value, total)
        return min(total, math.ceil(float(total) * float(value) / 100))


def _matching(api: Api, namespace: str, label_selector: str, name_pattern: str = "") -> list[Pod]:
    pods = list_pods(api, namespace, label_selector, name_pattern)
    if pods:
        return pods
    if namespace_exists(api, namespace) is False:
        raise InvalidArgument(
            "namespace", f"namespace '{namespace}' does not exist ({api.cluster.describe()})"
        )
    what = " and ".join(
        x
        for x in (
            f"label_selector '{label_selector}'" if label_selector else "",
            f"name_pattern '{name_pattern}'" if name_pattern else "",
        )
        if x
    )
    field_name = "label_selector" if label_selector else "name_pattern"
    raise InvalidArgument(field_name, f"{what} matches no running pod in namespace '{namespace}'")


@dataclass(frozen=True)
class KillPlan:
    """Which pods a pod kill deletes, and why that is allowed."""

    cluster: Cluster
    request: KillRequest
    matching: list[Pod]
    chosen: list[Pod]
    budgets: list[PdbBudget] = field(default_factory=list)


def kill_request(values: Mapping[str, Any]) -> KillRequest:
    """``kill_pods``'s arguments checked (step 1, no network)."""
    return parse(KillRequest, **fields_of(KillRequest, values)).check()


def chaos_mesh_request(values: Mapping[str, Any]) -> ChaosMeshRequest:
    """The placement arguments of a Chaos Mesh action checked (step 1, no network)."""
    return parse(ChaosMeshRequest, **fields_of(ChaosMeshRequest, values)).check()


def plan_pod_kill(
    policy: Policy,
    namespace: str,
    label_selector: str = "",
    name_pattern: str = "",
    count: int = 0,
    percent: float = 0.0,
    order: str = "random",
    grace_period_s: int = -1,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> KillPlan:
    """Check, select and judge a pod kill (see the module docstring); change nothing."""
    request = kill_request(
        {
            "namespace": namespace,
            "label_selector": label_selector,
            "name_pattern": name_pattern,
            "count": count,
            "percent": percent,
            "order": order,
            "grace_period_s": grace_period_s,
        }
    )
    check_namespace(policy, request.namespace)
    cluster = resolve_cluster(configuration, secrets)
    api = Api(cluster)
    matching = _matching(api, request.namespace, request.label_selector, request.name_pattern)
    chosen = pick(matching, request.count, request.percent, request.order)
    could_hit = matching if request.order == "random" else chosen
    check_targets(policy, request.namespace, could_hit, chosen, len(matching))
    found = check_budgets(policy, api, request.namespace, chosen)
    return KillPlan(cluster, request, matching, chosen, found)


def chaos_mesh_selector(namespace: str, label_selector: str) -> dict[str, Any]:
    """A Chaos Mesh ``PodSelectorSpec`` for one namespace and a kubectl-style label selector."""
    labels: dict[str, str] = {}
    expressions: list[dict[str, Any]] = []
    ops = {"in": "In", "notin": "NotIn", "exists": "Exists", "!": "DoesNotExist"}
    for req in parse_selector(label_selector).requirements:
        if req.op == "in" and len(req.values) == 1 and req.key not in labels:
            labels[req.key] = next(iter(req.values))
            continue
        expr: dict[str, Any] = {"key": req.key, "operator": ops[req.op]}
        if req.values:
            expr["values"] = sorted(req.values)
        expressions.append(expr)
    out: dict[str, Any] = {"namespaces": [namespace]}
    if labels:
        out["labelSelectors"] = labels
    if expressions:
        out["expressionSelectors"] = expressions
    return out


@dataclass(frozen=True)
class ChaosMeshPlan:
    """Where a Chaos Mesh fault lands and how many pods it hits at most."""

    cluster: Cluster
    request: ChaosMeshRequest
    matching: list[Pod]
    hit_count: int

    def selector(self) -> dict[str, Any]:
        """The CR's ``spec.selector``."""
        return chaos_mesh_selector(self.request.namespace, self.request.label_selector)


def plan_chaos_mesh(
    policy: Policy,
    namespace: str,
    label_selector: str,
    mode: str = "all",
    mode_value: str = "",
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> ChaosMeshPlan:
    """Check and judge where a Chaos Mesh fault lands; change nothing."""
    request = chaos_mesh_request(
        {
            "namespace": namespace,
            "label_selector": label_selector,
            "mode": mode,
            "mode_value": mode_value,
        }
    )
    check_namespace(policy, request.namespace)
    cluster = resolve_cluster(configuration, secrets)
    api = Api(cluster)
    matching = _matching(api, request.namespace, request.label_selector)
    hits = request.hit_count(len(matching))
    check_targets(policy, request.namespace, matching, matching[:hits], len(matching))
    return ChaosMeshPlan(cluster, request, matching, hits)
