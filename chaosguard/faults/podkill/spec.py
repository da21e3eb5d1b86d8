"""What a pod kill is asked to do: which pods (by name and uid) of which namespace, and how."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PodKillSpec", "PodTarget"]


class PodTarget(BaseModel):
    """One pod, by name and uid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=253)
    uid: str = Field(min_length=1)
    node: str = ""


class PodKillSpec(BaseModel):
    """Which pods of which namespace of which cluster to delete, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kubeconfig: str
    context: str
    verify_tls: bool = True
    namespace: str = Field(min_length=1, max_length=63)
    grace_period_s: int = Field(default=-1, ge=-1, description="-1: the pod's own grace period")
    targets: tuple[PodTarget, ...] = Field(min_length=1)
    workers: int = Field(default=64, ge=1, le=64, description="concurrent deletions")
