"""What a revert of a Chaos Mesh record trusts: Kubernetes names as Kubernetes names, and a delete
only ever with a uid precondition.

The namespace must be a DNS-1123 label, the object name a DNS-1123 subdomain starting with
``chaosguard-`` (a name with ``/`` or ``..`` never reaches a URL), the uid a uid. A record without a
uid (a crash between create and the ledger update) is deleted only after reading the object and
finding this record's annotation on it; its uid is then the precondition.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chaosguard.faults.chaosmesh.spec import ChaosMeshSpec
from chaosguard.faults.contract import revalidate
from chaosguard.ledger.store import FaultRecord

__all__ = ["ChaosMeshHandles", "check", "checked", "is_label", "is_subdomain"]

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_UID = re.compile(r"^[0-9a-fA-F-]{8,64}$")


def is_label(text: str) -> bool:
    """True for a DNS-1123 label (a namespace name)."""
    return bool(_LABEL.match(text))


def is_subdomain(text: str) -> bool:
    """True for a DNS-1123 subdomain of at most 253 characters (an object name)."""
    return len(text) <= 253 and bool(_SUBDOMAIN.match(text))


class ChaosMeshHandles(BaseModel):
    """A Chaos Mesh record's handles, re-validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    namespace: str | None = None
    uid: str | None = Field(default=None)
    kind: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not (is_subdomain(value) and value.startswith("chaosguard-")):
            raise ValueError("not a chaosguard object name (a DNS-1123 name 'chaosguard-...')")
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        if value is not None and not is_label(value):
            raise ValueError("not a Kubernetes namespace name (DNS-1123 label)")
        return value

    @field_validator("uid")
    @classmethod
    def _uid(cls, value: str | None) -> str | None:
        if value and not _UID.match(value):
            raise ValueError("not a Kubernetes uid")
        return value or None


def checked(record: FaultRecord) -> tuple[ChaosMeshSpec, ChaosMeshHandles]:
    """The record's spec and handles, re-validated (:class:`ValueError` naming the field)."""
    spec = revalidate(ChaosMeshSpec, record.spec, "spec")
    if not is_label(spec.namespace):
        raise ValueError("spec.namespace: not a Kubernetes namespace name (DNS-1123 label)")
    handles = revalidate(ChaosMeshHandles, record.handles, "handles")
    if handles.namespace is not None and handles.namespace != spec.namespace:
        raise ValueError("handles.namespace: differs from spec.namespace")
    return spec, handles


def check(record: FaultRecord) -> str:
    """Re-validate a Chaos Mesh record; the exact object its revert deletes."""
    spec, handles = checked(record)
    kind = handles.kind or record.kind
    name = handles.name or "(the name derived from the record id)"
    uid = handles.uid or "(read from the object, only if it carries this record's annotation)"
    return f"{spec.namespace}/{kind}/{name} uid {uid}"
