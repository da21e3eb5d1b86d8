"""Merge the policy file with an experiment's policy block: the stricter value wins, field by field.

``merge(base, overlay)``: ``base`` is the policy file (or the defaults) and counts with every field,
defaults included; ``overlay`` is the experiment's block and counts only with the fields it writes
(pydantic's ``model_fields_set``). So an experiment can only make its policy stricter, never looser,
and a block that does not mention a field leaves the file's value alone. ``merge(p, p) == p``.

Every leaf field has exactly one rule in :data:`RULES` (a test checks that none is missing); the
table in ``docs/policy.md`` is the same list in prose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chaosguard.compiled.lite import field_names, is_model, model_ref
from chaosguard.compiled.models import build
from chaosguard.policy._checks import minutes
from chaosguard.policy.model_rules import AllOfPatternsRules, AllOfWindowsRules

if TYPE_CHECKING:  # compiled instances at run time (pydantic's when a document fell back to it)
    from chaosguard.policy.model import AllOfWindows, Policy, TimeWindow

__all__ = ["RULES", "Rule", "merge"]

_MODEL = "chaosguard.policy.model:"


@dataclass(frozen=True)
class Rule:
    """How two values of one field combine, and the sentence that documents it."""

    combine: Callable[[Any, Any], Any]
    doc: str


def _union(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    out = list(a)
    for item in b:
        if item not in out:
            out.append(item)
    return tuple(out)


def _intersect(a: tuple[Any, ...] | None, b: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
    if a is None or b is None:
        return b if a is None else a
    return tuple(x for x in a if x in b)


def _min(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return b if a is None else a
    return min(a, b)


def _conjoin_selectors(
    a: tuple[str, ...] | None, b: tuple[str, ...] | None
) -> tuple[str, ...] | None:
    if a is None or b is None or a == b:
        return b if a is None else a
    from chaosguard.policy.selectors import conjoin  # only when both sides restrict selectors

    return _union((), tuple(conjoin(x, y) for x in a for y in b))


def _members(entry: Any) -> tuple[Any, ...]:
    if isinstance(entry, AllOfWindowsRules | AllOfPatternsRules):
        return tuple(entry.all_of)
    return (entry,)


def _window_meet(
    wa: TimeWindow | AllOfWindows, wb: TimeWindow | AllOfWindows
) -> TimeWindow | AllOfWindows:
    members = _union(_members(wa), _members(wb))
    if len(members) == 1:
        only: TimeWindow = members[0]
        return only
    if len({w.timezone for w in members}) == 1:
        days = tuple(d for d in members[0].days if all(d in w.days for w in members))
        start = max(members, key=lambda w: minutes(w.start)).start
        end = min(members, key=lambda w: minutes(w.end)).end
        if days and minutes(start) < minutes(end):
            values = {"days": days, "start": start, "end": end, "timezone": members[0].timezone}
            return build(f"{_MODEL}TimeWindow", values)
    return build(f"{_MODEL}AllOfWindows", {"all_of": members})


def _intersect_windows(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    if not a or not b or a == b:
        return a if a else b
    return _union((), tuple(_window_meet(x, y) for x in a for y in b))


def _pattern_meet(x: Any, y: Any) -> Any:
    members = _union(_members(x), _members(y))
    return members[0] if len(members) == 1 else build(f"{_MODEL}AllOfPatterns", {"all_of": members})


def _intersect_patterns(
    a: tuple[Any, ...] | None, b: tuple[Any, ...] | None
) -> tuple[Any, ...] | None:
    if a is None or b is None or a == b:
        return b if a is None else a
    return _union((), tuple(_pattern_meet(x, y) for x in a for y in b))


def _covers(prefix: str, module: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _intersect_prefixes(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """Module prefixes allowed by both sides: for each pair, the narrower one when one covers
    the other (``corp`` and ``corp.slo`` → ``corp.slo``); disjoint pairs give nothing."""
    out = [y for x in a for y in b if _covers(x, y)] + [x for x in a for y in b if _covers(y, x)]
    return _union((), tuple(out))


_UNION = Rule(_union, "union (denied by either side stays denied)")
_BOTH = Rule(lambda a, b: a and b, "true only if both sides allow it")
_MIN = Rule(_min, "the smaller wins (unset = no limit)")

RULES: dict[str, Rule] = {
    "namespaces.allow": Rule(
        _intersect, "intersection (unset = any namespace; an empty result allows none)"
    ),
    "namespaces.deny": _UNION,
    "label_selectors.allow": Rule(
        _conjoin_selectors,
        "a target must match an allowed selector of "
        "EACH side: pairwise conjunction 'a,b' of the two lists",
    ),
    "label_selectors.deny": _UNION,
    "max_targets.count": _MIN,
    "max_targets.percent": _MIN,
    "respect_pdb": Rule(lambda a, b: a or b, "true wins"),
    "windows": Rule(
        _intersect_windows,
        "intersection: open only when a window of each side is open "
        "(same time zone: exact intersection; otherwise an all_of entry); empty = always open",
    ),
    "freeze": Rule(_union, "union"),
    "kill_switch.file": _UNION,
    "kill_switch.env": _UNION,
    "kill_switch.url": _UNION,
    "kill_switch.configmap": _UNION,
    "kill_switch.timeout_s": Rule(min, "the smaller wins (an unanswered read counts as on)"),
    "allow_unguarded": _BOTH,
    "guard.interval_s": Rule(min, "the smaller (more frequent) wins; never below 0.1 s"),
    "guard.on_unreadable": Rule(
        lambda a, b: "abort" if "abort" in (a, b) else "ignore", "abort wins"
    ),
    "guard.error_budget_floor": Rule(max, "the higher wins"),
    "guard.python_modules": Rule(
        _intersect_prefixes,
        "intersection: a module must be allowed by a prefix of EACH side (corp + corp.slo → "
        "corp.slo); empty = only chaosguard.*",
    ),
    "guard.on_window_end": Rule(
        lambda a, b: "stop" if "stop" in (a, b) else "finish", "stop wins over finish"
    ),
    "local.max_processes": _MIN,
    "local.allow_process_patterns": Rule(
        _intersect_patterns,
        "a process must match an allowed regex of EACH side (all_of entries); unset = any process",
    ),
    "local.deny_process_patterns": _UNION,
    "local.max_cpu_workers": _MIN,
    "local.max_memory_mib": _MIN,
    "local.allow_non_loopback_listen": _BOTH,
    "local.allow_stress_priority_normal": _BOTH,
    "local.max_proxy_connections": Rule(min, "the smaller wins (default 512)"),
    "actions.allow": Rule(_intersect, "intersection (empty = no foreign action)"),
    "journal.allow_plain_http_auth": _BOTH,
}


def _merge_model(base: Any, overlay: Any, path: str) -> Any:
    values: dict[str, Any] = {}
    for name in field_names(base):
        mine, theirs = getattr(base, name), getattr(overlay, name)
        if name not in overlay.model_fields_set:
            values[name] = mine
        elif is_model(mine) and f"{path}{name}" not in RULES:
            values[name] = _merge_model(mine, theirs, f"{path}{name}.")
        else:
            values[name] = RULES[f"{path}{name}"].combine(mine, theirs)
    merged = build(model_ref(base), values)
    return base if merged == base else merged


def merge(base: Policy, overlay: Policy | None) -> Policy:
    """``base`` made stricter by the fields that ``overlay`` sets (``None``: ``base`` unchanged)."""
    if overlay is None:
        return base
    return _merge_model(base, overlay, "")
