"""Hypothesis strategies for policy documents (valid ones, partial ones, and garbage)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

NAMESPACES = ["default", "demo", "team-a", "team-b", "kube-system"]
SELECTORS = [
    "app=web",
    "tier=critical",
    "app in (web, api)",
    "!canary",
    "env!=prod",
    "app=api,env=dev",
]
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "mon-fri", "sat-sun", "fri-mon"]
PATTERNS = ["^demo", "worker", "^python", "sleep", "(?i)SLEEP"]
MODULES = ["corp", "corp.slo", "corp.slo.p95", "other", "corp.slothing"]
ACTIONS = [
    "chaosk8s.pod.actions.terminate_pods",
    "chaosk8s.pod.actions:terminate_pods",
    "mypkg.mod.func",
    "process:/usr/local/bin/drain.sh",
    "process:/bin/kill",
]


def _optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


def _subset(pool: list[Any], max_size: int = 3) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.sampled_from(pool), max_size=max_size, unique=True)


@st.composite
def windows(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(0, 22))
    end = draw(st.integers(start + 1, 24))
    out: dict[str, Any] = {
        "start": f"{start:02d}:00",
        "end": f"{end:02d}:00",
        "timezone": draw(st.sampled_from(ZONES)),
    }
    days = draw(_subset(DAYS))
    if days:
        out["days"] = days
    return out


@st.composite
def freezes(draw: st.DrawFn) -> dict[str, Any]:
    day = draw(st.integers(1, 25))
    length = draw(st.integers(0, 3))
    return {
        "start": f"2026-03-{day:02d}",
        "end": f"2026-03-{day + length:02d}",
        "timezone": draw(st.sampled_from(ZONES)),
        "reason": "release",
    }


def policies() -> st.SearchStrategy[dict[str, Any]]:
    """Partial, valid policy documents (each key present or not)."""
    opt_int = st.one_of(st.none(), st.integers(0, 6))
    return _optional(
        namespaces=_optional(
            allow=st.one_of(st.none(), _subset(NAMESPACES)), deny=_subset(NAMESPACES)
        ),
        label_selectors=_optional(
            allow=st.one_of(st.none(), _subset(SELECTORS)), deny=_subset(SELECTORS)
        ),
        max_targets=_optional(
            count=opt_int, percent=st.one_of(st.none(), st.sampled_from([10, 25.5, 50, 100]))
        ),
        respect_pdb=st.booleans(),
        windows=st.lists(windows(), max_size=2),
        freeze=st.lists(freezes(), max_size=2),
        kill_switch=_optional(
            file=_subset(["/tmp/cg-stop-a", "/tmp/cg-stop-b"]),
            env=_subset(["CG_STOP_A", "CG_STOP_B"]),
            url=_subset(["http://127.0.0.1:9/a", "https://switch.example/b"]),
            configmap=st.lists(
                st.just({"namespace": "ops", "name": "chaos", "key": "stop"}), max_size=1
            ),
            timeout_s=st.sampled_from([0.2, 1.0, 5]),
        ),
        allow_unguarded=st.booleans(),
        guard=_optional(
            interval_s=st.sampled_from([0.1, 0.5, 1.0, 5.0]),
            on_unreadable=st.sampled_from(["abort", "ignore"]),
            error_budget_floor=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
            python_modules=_subset(MODULES),
            on_window_end=st.sampled_from(["stop", "finish"]),
        ),
        local=_optional(
            max_processes=st.one_of(st.none(), st.integers(1, 5)),
            allow_process_patterns=st.one_of(st.none(), _subset(PATTERNS)),
            deny_process_patterns=_subset(PATTERNS),
            max_cpu_workers=st.one_of(st.none(), st.integers(1, 8)),
            max_memory_mib=st.one_of(st.none(), st.integers(1, 4096)),
            allow_non_loopback_listen=st.booleans(),
            allow_stress_priority_normal=st.booleans(),
            max_proxy_connections=st.sampled_from([1, 64, 512, 4096]),
        ),
        actions=_optional(allow=_subset(ACTIONS)),
        journal=_optional(allow_plain_http_auth=st.booleans()),
    )


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "09:00",
            "24:00",
            "25:61",
            "Europe/Paris",
            "Mars/Base",
            "mon-fri",
            "2026-12-24",
            "2026-12-24T10:00+01:00",
            "app=web",
            "((",
            "http://127.0.0.1:1/",
            "abort",
            "ignore",
            "${x}",
            "",
            "\x00",
        ]
    ),
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)

POLICY_KEYS = {
    "namespaces": ["allow", "deny"],
    "label_selectors": ["allow", "deny"],
    "max_targets": ["count", "percent"],
    "respect_pdb": None,
    "windows": ["days", "start", "end", "timezone", "all_of"],
    "freeze": ["start", "end", "timezone", "reason"],
    "kill_switch": ["file", "env", "url", "configmap", "timeout_s"],
    "allow_unguarded": None,
    "guard": [
        "interval_s",
        "on_unreadable",
        "error_budget_floor",
        "python_modules",
        "on_window_end",
    ],
    "local": [
        "max_processes",
        "allow_process_patterns",
        "deny_process_patterns",
        "max_cpu_workers",
        "max_memory_mib",
        "allow_non_loopback_listen",
        "allow_stress_priority_normal",
        "max_proxy_connections",
    ],
    "actions": ["allow"],
    "journal": ["allow_plain_http_auth"],
}


@st.composite
def near_policies(draw: st.DrawFn) -> Any:
    """Documents shaped like a policy whose values are anything (deep validation paths)."""
    doc: dict[Any, Any] = {}
    for key in draw(_subset(list(POLICY_KEYS), max_size=4)):
        subkeys = POLICY_KEYS[key]
        if subkeys is None or draw(st.booleans()):
            doc[key] = draw(json_values)
            continue
        inner = {k: draw(json_values) for k in draw(_subset(subkeys, max_size=3))}
        doc[key] = [inner] if key in ("windows", "freeze") else inner
    if draw(st.booleans()):
        doc[draw(st.text(max_size=8))] = draw(json_values)
    return doc
