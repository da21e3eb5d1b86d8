"""Kubernetes object names: the one place that knows what a namespace (an RFC 1123 DNS label)
looks like."""

from __future__ import annotations

import re

from chaosguard.validation import short_repr

__all__ = ["DNS_LABEL", "is_dns_label", "valid_namespace"]

#: An RFC 1123 label: lowercase letters, digits and '-', starting and ending alphanumeric,
#: <= 63 chars.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def is_dns_label(value: object) -> bool:
    """True when ``value`` is a string that can name a namespace."""
    return isinstance(value, str) and DNS_LABEL.match(value) is not None


def valid_namespace(value: str) -> str:
    """``value`` when it is a namespace name; ``ValueError`` (naming it) otherwise."""
    if not is_dns_label(value):
        raise ValueError(
            f"{short_repr(value)} is not a namespace name (lowercase letters, digits and '-', "
            "at most 63 characters)"
        )
    return value
