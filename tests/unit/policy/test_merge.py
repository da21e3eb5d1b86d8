"""Merging the policy file with the experiment block: the stricter value wins, field by field."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chaosguard.compiled.lite import field_names, is_model
from chaosguard.policy import RULES, Policy, merge
from chaosguard.policy.load import parse_policy
from chaosguard.policy.model import AllOfPatterns
from chaosguard.policy.selectors import parse_selector
from chaosguard.policy.windows import entry_open
from tests.unit.policy.strategies import PATTERNS, policies

# Every 30 minutes over 9 days around the 2026 spring DST changes (US Mar 8, EU Mar 29), plus Mar 1.
SAMPLE_TIMES = [datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=30 * i) for i in range(48 * 9)]
SAMPLE_TIMES += [
    datetime(2026, 3, 27, tzinfo=UTC) + timedelta(minutes=30 * i) for i in range(48 * 4)
]
LABEL_SETS = [
    dict(c)
    for n in range(3)
    for c in itertools.combinations(
        [("app", "web"), ("tier", "critical"), ("env", "prod"), ("canary", "yes"), ("env", "dev")],
        n,
    )
]
LABEL_SETS += [
    {"app": "api", "env": "dev"},
    {"app": "api"},
    {"app": "web", "env": "prod", "tier": "critical"},
]
TEXTS = ["demo-worker", "python sleep 30", "worker", "SLEEP", "postgres", "demo", "python"]
MODULE_NAMES = ["corp", "corp.slo", "corp.slo.p95", "corp.slothing", "other.x", "corpx"]


def _leaves(model: Any, only_set: bool, path: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in field_names(model):
        if only_set and name not in model.model_fields_set:
            continue
        value = getattr(model, name)
        key = f"{path}{name}"
        if is_model(value) and key not in RULES:
            out.update(_leaves(value, only_set, f"{key}."))
        else:
            out[key] = value
    return out


def _windows_open(entries: tuple[Any, ...], when: datetime) -> bool:
    return not entries or any(entry_open(e, when) for e in entries)


def _pattern_ok(entries: tuple[Any, ...] | None, text: str) -> bool:
    if entries is None:
        return True
    return any(
        all(re.search(r, text) for r in (e.all_of if isinstance(e, AllOfPatterns) else (e,)))
        for e in entries
    )


def _module_ok(prefixes: tuple[str, ...], module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _selectors_ok(entries: tuple[str, ...] | None, labels: dict[str, str]) -> bool:
    return entries is None or any(parse_selector(s).matches(labels) for s in entries)


def at_least_as_strict(key: str, merged: Any, side: Any) -> bool:
    """The oracle: is ``merged`` (value of field ``key``) at least as strict as ``side``?"""
    if key == "namespaces.allow":
        return side is None or (merged is not None and set(merged) <= set(side))
    if key == "label_selectors.allow":
        return all(
            _selectors_ok(side, labels) for labels in LABEL_SETS if _selectors_ok(merged, labels)
        )
    if key == "local.allow_process_patterns":
        return all(_pattern_ok(side, t) for t in TEXTS if _pattern_ok(merged, t))
    if key == "guard.python_modules":
        return all(_module_ok(side, m) for m in MODULE_NAMES if _module_ok(merged, m))
    if key == "actions.allow":
        return set(merged) <= set(side)
    if key == "guard.on_window_end":
        return side == "finish" or merged == "stop"
    if key in (
        "allow_unguarded",
        "local.allow_non_loopback_listen",
        "local.allow_stress_priority_normal",
        "journal.allow_plain_http_auth",
    ):
        return side or not merged
    if key == "windows":
        return all(_windows_open(side, t) for t in SAMPLE_TIMES if _windows_open(merged, t))
    if RULES[key].combine.__name__ == "_union" or key == "freeze":
        return set(side) <= set(merged)
    if key in ("respect_pdb",):
        return merged or not side
    if key == "guard.on_unreadable":
        return side == "ignore" or merged == "abort"
    if key == "guard.error_budget_floor":
        return merged >= side
    # every remaining rule is "the smaller wins", None meaning no limit
    return side is None or (merged is not None and merged <= side)


def test_every_leaf_field_has_a_rule() -> None:
    assert set(_leaves(Policy(), only_set=False)) == set(RULES)


#: Both families of policy objects: pydantic's, and the compiled ones the run path loads.
FAMILIES = st.sampled_from([Policy.model_validate, parse_policy])


@settings(max_examples=120, deadline=None)
@given(policies(), policies(), FAMILIES)
def test_merge_is_never_less_strict_than_either_side(
    base_doc: dict, overlay_doc: dict, load: Callable[[dict], Any]
) -> None:
    base, overlay = load(base_doc), load(overlay_doc)
    merged = merge(base, overlay)
    merged_leaves = _leaves(merged, only_set=False)
    for key, value in _leaves(base, only_set=False).items():  # the file counts with every field
        assert at_least_as_strict(key, merged_leaves[key], value), (key, merged_leaves[key], value)
    for key, value in _leaves(overlay, only_set=True).items():  # the block with what it writes
        assert at_least_as_strict(key, merged_leaves[key], value), (key, merged_leaves[key], value)


@settings(max_examples=120, deadline=None)
@given(policies(), FAMILIES)
def test_merging_with_itself_is_identity(doc: dict, load: Callable[[dict], Any]) -> None:
    policy = load(doc)
    assert merge(policy, policy) == policy
    assert merge(policy, None) is policy
    assert merge(policy, load({})) == policy  # a block that writes nothing changes nothing


@settings(max_examples=120, deadline=None)
@given(policies(), policies())
def test_compiled_and_pydantic_policies_merge_alike(base_doc: dict, overlay_doc: dict) -> None:
    compiled = merge(parse_policy(base_doc), parse_policy(overlay_doc))
    pydantic = merge(Policy.model_validate(base_doc), Policy.model_validate(overlay_doc))
    assert compiled == pydantic
    assert compiled.model_dump(mode="json") == pydantic.model_dump(mode="json")
    assert compiled.digest() == pydantic.digest()


def test_unset_overlay_fields_keep_the_file_values() -> None:
    base = Policy.model_validate(
        {
            "allow_unguarded": True,
            "guard": {"interval_s": 5, "on_unreadable": "ignore"},
            "respect_pdb": False,
        }
    )
    merged = merge(base, Policy.model_validate({"max_targets": {"count": 1}}))
    assert merged.allow_unguarded and not merged.respect_pdb
    assert merged.guard.interval_s == 5 and merged.guard.on_unreadable == "ignore"
    assert merged.max_targets.count == 1


def test_the_block_cannot_loosen_the_file_or_the_defaults() -> None:
    loose = Policy.model_validate(
        {
            "allow_unguarded": True,
            "respect_pdb": False,
            "guard": {"on_unreadable": "ignore", "interval_s": 30},
        }
    )
    assert merge(Policy(), loose) == Policy()


def test_scalar_rules() -> None:
    a = Policy.model_validate(
        {
            "max_targets": {"count": 3, "percent": 50},
            "guard": {"interval_s": 2, "error_budget_floor": 0.2},
            "local": {"max_memory_mib": 512},
            "kill_switch": {"timeout_s": 2},
        }
    )
    b = Policy.model_validate(
        {
            "max_targets": {"count": 5, "percent": 25},
            "guard": {"interval_s": 0.1, "on_unreadable": "ignore", "error_budget_floor": 0.5},
            "local": {"max_cpu_workers": 2},
            "kill_switch": {"timeout_s": 0.5},
        }
    )
    m = merge(a, b)
    assert (m.max_targets.count, m.max_targets.percent) == (3, 25)
    assert (m.guard.interval_s, m.guard.on_unreadable, m.guard.error_budget_floor) == (
        0.1,
        "abort",
        0.5,
    )
    assert (m.local.max_memory_mib, m.local.max_cpu_workers) == (512, 2)
    assert m.kill_switch.timeout_s == 0.5


def test_namespace_and_selector_lists() -> None:
    a = Policy.model_validate(
        {
            "namespaces": {"allow": ["demo", "team-a"], "deny": ["kube-system"]},
            "label_selectors": {"allow": ["app=web"], "deny": ["tier=critical"]},
        }
    )
    b = Policy.model_validate(
        {
            "namespaces": {"allow": ["team-a", "team-b"], "deny": ["team-b"]},
            "label_selectors": {"allow": ["env=dev", "app=web"], "deny": ["!owner"]},
        }
    )
    m = merge(a, b)
    assert m.namespaces.allow == ("team-a",)
    assert m.namespaces.deny == ("kube-system", "team-b")
    assert m.label_selectors.allow == ("app=web,env=dev", "app=web")
    assert m.label_selectors.deny == ("tier=critical", "!owner")
    disjoint = merge(a, Policy.model_validate({"namespaces": {"allow": ["other"]}}))
    assert disjoint.namespaces.allow == ()  # nothing is allowed, not "anything"


def test_windows_same_zone_intersect_exactly_other_zones_become_all_of() -> None:
    paris = {"days": ["mon-fri"], "start": "09:00", "end": "17:00", "timezone": "Europe/Paris"}
    a = Policy.model_validate({"windows": [paris]})
    b = Policy.model_validate(
        {
            "windows": [
                {"days": ["tue-sat"], "start": "13:00", "end": "20:00", "timezone": "Europe/Paris"}
            ]
        }
    )
    m = merge(a, b)
    assert m.model_dump(mode="json")["windows"] == [
        {
            "days": ["tue", "wed", "thu", "fri"],
            "start": "13:00",
            "end": "17:00",
            "timezone": "Europe/Paris",
        }
    ]
    c = Policy.model_validate(
        {"windows": [{"start": "08:00", "end": "12:00", "timezone": "America/New_York"}]}
    )
    assert list(merge(a, c).model_dump(mode="json")["windows"][0]) == ["all_of"]
    night = Policy.model_validate(
        {"windows": [{"start": "20:00", "end": "23:00", "timezone": "Europe/Paris"}]}
    )
    never = merge(a, night)
    assert never.windows and not any(_windows_open(never.windows, t) for t in SAMPLE_TIMES)


def test_process_pattern_allow_lists_need_both_sides() -> None:
    a = Policy.model_validate({"local": {"allow_process_patterns": ["^demo"]}})
    b = Policy.model_validate({"local": {"allow_process_patterns": ["worker", "^demo"]}})
    m = merge(a, b).local.allow_process_patterns
    assert m is not None
    assert _pattern_ok(m, "demo-worker") and _pattern_ok(m, "demo")
    assert not _pattern_ok(m, "worker") and not _pattern_ok(m, "python")
    assert set(PATTERNS)  # the strategies' pool is valid regexes


def test_new_issue9_fields_merge_stricter() -> None:
    operator = Policy.model_validate(
        {
            "actions": {"allow": ["chaosk8s.pod.actions:terminate_pods", "process:/bin/kill"]},
            "guard": {"python_modules": ["corp"], "on_window_end": "finish"},
            "local": {"allow_non_loopback_listen": True, "max_proxy_connections": 1000},
            "journal": {"allow_plain_http_auth": True},
        }
    )
    assert operator.actions.allow == ("chaosk8s.pod.actions.terminate_pods", "process:/bin/kill")
    experiment = Policy.model_validate(
        {
            "actions": {"allow": ["chaosk8s.pod.actions.terminate_pods", "os.system"]},
            "guard": {"python_modules": ["corp.slo", "os"], "on_window_end": "stop"},
            "local": {"allow_non_loopback_listen": False, "max_proxy_connections": 64},
            "journal": {"allow_plain_http_auth": False},
        }
    )
    m = merge(operator, experiment)
    assert m.actions.allow == ("chaosk8s.pod.actions.terminate_pods",)
    assert m.guard.python_modules == ("corp.slo",)
    assert m.guard.on_window_end == "stop"
    assert m.local.allow_non_loopback_listen is False
    assert m.local.max_proxy_connections == 64
    assert m.journal.allow_plain_http_auth is False
    loosening = Policy.model_validate(
        {
            "actions": {"allow": ["os.system"]},
            "guard": {"python_modules": ["os"], "on_window_end": "finish"},
            "local": {"allow_non_loopback_listen": True, "max_proxy_connections": 100000},
            "journal": {"allow_plain_http_auth": True},
        }
    )
    assert merge(Policy(), loosening) == Policy()
    assert Policy().local.max_proxy_connections == 512
    assert Policy().guard.on_window_end == "stop"


def test_new_fields_refuse_bad_values() -> None:
    import pytest
    from pydantic import ValidationError

    for doc in (
        {"actions": {"allow": ["process:relative/path"]}},
        {"actions": {"allow": ["justafunc"]}},
        {"actions": {"allow": ["a b.c"]}},
        {"guard": {"python_modules": ["corp-slo"]}},
        {"guard": {"on_window_end": "later"}},
        {"local": {"max_proxy_connections": 0}},
        {"local": {"allow_non_loopback_listen": "yes"}},
        {"journal": {"allow_plain_http_auth": 1}},
    ):
        with pytest.raises(ValidationError):
            Policy.model_validate(doc)
