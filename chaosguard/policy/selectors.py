"""Kubernetes label selectors: parse ``tier=critical,app in (web, api),!canary``, match label sets.

The grammar and semantics are those of ``kubectl get -l``: comma-separated requirements, all of
which must hold. Equality-based: ``key=value``, ``key==value``, ``key!=value``; set-based:
``key in (a, b)``, ``key notin (a, b)``, ``key`` (label present), ``!key`` (label absent). ``!=``
and ``notin`` also match pods that do not have the label at all, exactly as Kubernetes does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from chaosguard.validation import short_repr

__all__ = [
    "LabelSelector",
    "Requirement",
    "conjoin",
    "disjoint",
    "implies",
    "parse_selector",
    "selector_matches",
]

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_KEY_RE = re.compile(rf"^(?:(?P<prefix>{_PREFIX})/)?(?P<name>{_NAME})$")
_VALUE_RE = re.compile(rf"^(?:{_NAME})?$")
_OPS = ("in", "notin", "=", "==", "!=", "exists", "!")


@dataclass(frozen=True)
class Requirement:
    """One requirement of a selector: ``key`` ``op`` ``values``."""

    key: str
    op: str  # "in", "notin", "exists", "!" (absent); "=", "==" are stored as "in", "!=" as "notin"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when ``labels`` satisfy this requirement (Kubernetes semantics)."""
        if self.op == "exists":
            return self.key in labels
        if self.op == "!":
            return self.key not in labels
        if self.op == "in":
            return self.key in labels and labels[self.key] in self.values
        return self.key not in labels or labels[self.key] not in self.values  # notin


@dataclass(frozen=True)
class LabelSelector:
    """A parsed selector: every requirement must hold."""

    text: str
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when ``labels`` satisfy every requirement."""
        return all(r.matches(labels) for r in self.requirements)


def _check_key(key: str, text: str) -> str:
    match = _KEY_RE.match(key)
    if not match or len(match.group("prefix") or "") > 253:
        raise ValueError(f"invalid label key {short_repr(key)} in selector {short_repr(text)}")
    return key


def _check_value(value: str, text: str) -> str:
    if len(value) > 63 or not _VALUE_RE.match(value):
        raise ValueError(f"invalid label value {short_repr(value)} in selector {short_repr(text)}")
    return value


def _split(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced ')' in selector {short_repr(text)}")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise ValueError(f"unbalanced '(' in selector {short_repr(text)}")
    parts.append("".join(current))
    return parts


_SET_RE = re.compile(r"^(?P<key>\S+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_EQ_RE = re.compile(r"^(?P<key>[^=!\s]+)\s*(?P<op>==|!=|=)\s*(?P<value>\S*)$")


def _requirement(part: str, text: str) -> Requirement:
    part = part.strip()
    if not part:
        raise ValueError(f"empty requirement in selector {short_repr(text)}")
    if m := _SET_RE.match(part):
        values = [_check_value(v.strip(), text) for v in m.group("values").split(",")]
        if not any(values):
            raise ValueError(f"empty value set in selector {short_repr(text)}")
        op = m.group("op")
        return Requirement(_check_key(m.group("key"), text), op, frozenset(values))
    if m := _EQ_RE.match(part):
        op = "notin" if m.group("op") == "!=" else "in"
        value = _check_value(m.group("value"), text)
        return Requirement(_check_key(m.group("key"), text), op, frozenset([value]))
    if part.startswith("!"):
        return Requirement(_check_key(part[1:].strip(), text), "!")
    return Requirement(_check_key(part, text), "exists")


def parse_selector(text: str) -> LabelSelector:
    """Parse a selector; ``ValueError`` with a one-line reason when it is not valid.

    An empty selector is refused: Kubernetes reads it as "every pod", which is never what a policy
    rule means.
    """
    if not isinstance(text, str):
        raise ValueError(f"a label selector is a string (got {type(text).__name__})")
    if not text.strip():
        raise ValueError("empty label selector (it would match every pod)")
    if len(text) > 1000:
        raise ValueError("label selector longer than 1000 characters")
    return LabelSelector(text.strip(), tuple(_requirement(p, text) for p in _split(text)))


def selector_matches(selector: str, labels: Mapping[str, str]) -> bool:
    """True when the pod ``labels`` satisfy ``selector`` (a string; parsed on every call)."""
    return parse_selector(selector).matches(labels)


def conjoin(a: str, b: str) -> str:
    """A selector matching exactly the pods that match both ``a`` and ``b``."""
    if a == b or set(parse_selector(b).requirements) <= set(parse_selector(a).requirements):
        return a
    if set(parse_selector(a).requirements) <= set(parse_selector(b).requirements):
        return b
    return f"{a},{b}"


def _requirement_implies(a: Requirement, r: Requirement) -> bool:
    """Every label set satisfying ``a`` satisfies ``r`` (same key; judged requirement by
    requirement, so a ``False`` may be a missed implication: callers fail closed)."""
    if a.key != r.key:
        return False
    if r.op == "in":
        return a.op == "in" and a.values <= r.values
    if r.op == "exists":
        return a.op in ("in", "exists")
    if r.op == "notin":
        return (
            (a.op == "in" and not a.values & r.values)
            or (a.op == "notin" and r.values <= a.values)
            or a.op == "!"
        )
    return a.op == "!"  # r.op == "!"


def _requirements_clash(a: Requirement, d: Requirement) -> bool:
    """No label set satisfies both ``a`` and ``d``."""
    if a.key != d.key:
        return False
    present = ("in", "exists")
    if (a.op == "!" and d.op in present) or (d.op == "!" and a.op in present):
        return True
    if a.op == "in" and d.op == "in":
        return not a.values & d.values
    if a.op == "in" and d.op == "notin":
        return a.values <= d.values
    if a.op == "notin" and d.op == "in":
        return d.values <= a.values
    return False


def implies(a: LabelSelector, b: LabelSelector) -> bool:
    """True when every pod matching ``a`` surely matches ``b`` (a sufficient check: each
    requirement of ``b`` follows from one requirement of ``a``)."""
    return all(any(_requirement_implies(x, r) for x in a.requirements) for r in b.requirements)


def disjoint(a: LabelSelector, b: LabelSelector) -> bool:
    """True when no pod can match both ``a`` and ``b`` (a sufficient check: a requirement of
    ``a`` contradicts one of ``b``)."""
    return any(_requirements_clash(x, y) for x in a.requirements for y in b.requirements)
