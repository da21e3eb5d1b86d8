"""Kubernetes label selectors: the kubectl grammar and its matching semantics."""

from __future__ import annotations

import pytest

from chaosguard.policy.selectors import conjoin, parse_selector, selector_matches

WEB = {"app": "web", "tier": "critical", "env": "prod"}


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("tier=critical", WEB, True),
        ("tier==critical", WEB, True),
        ("tier!=critical", WEB, False),
        ("tier!=critical", {"app": "web"}, True),  # != also matches pods without the label
        ("app in (web, api)", WEB, True),
        ("app in (api)", WEB, False),
        ("app notin (api,batch)", WEB, True),
        ("app notin (web)", {}, True),
        ("tier", WEB, True),
        ("!tier", WEB, False),
        ("!canary", WEB, True),
        ("app=web,env in (prod,staging),!canary", WEB, True),
        ("app=web,env=dev", WEB, False),
        ("example.com/team=core", {"example.com/team": "core"}, True),
        ("key=", {"key": ""}, True),
    ],
)
def test_matching(selector: str, labels: dict[str, str], matches: bool) -> None:
    assert selector_matches(selector, labels) is matches


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "  ",
        "app in (web",
        "app in web)",
        "=web",
        "app=we b",
        "a,,b",
        "app in ()",
        "Bad_Prefix.com/x=y",
        "x" * 64 + "=y",
        "app=" + "v" * 64,
        "!",
    ],
)
def test_invalid_selectors_give_one_line_value_errors(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_selector(bad)
    assert "\n" not in str(info.value)


def test_conjoin() -> None:
    assert conjoin("app=web", "app=web") == "app=web"
    assert conjoin("app=web,env=prod", "env==prod") == "app=web,env=prod"  # b adds nothing
    assert conjoin("env=prod", "app=web,env=prod") == "app=web,env=prod"
    both = conjoin("app=web", "!canary")
    assert both == "app=web,!canary"
    assert selector_matches(both, {"app": "web"}) and not selector_matches(
        both, {"app": "web", "canary": "1"}
    )
