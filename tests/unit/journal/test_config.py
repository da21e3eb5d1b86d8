"""Publishers configuration: settings block, $CHAOSGUARD_PUBLISHERS file, one-line errors
(fuzzed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosguard.errors import InvalidArgument
from chaosguard.journal.config import ENV_VAR, PublishersConfig, load_config, parse_config

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _invalid(settings_doc: Any, env: dict[str, str] | None = None) -> str:
    with pytest.raises(InvalidArgument) as err:
        load_config(settings_doc, env or {})
    message = str(err.value)
    assert "\n" not in message and message.startswith("invalid argument '")
    return message


def test_nothing_configured_is_none() -> None:
    assert load_config(None, {}) is None
    assert load_config({"controls": {}}, {}) is None
    assert load_config({"chaosguard": {"policy_file": "x"}}, {}) is None


def test_full_settings_block(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    config = load_config(
        {
            "chaosguard": {
                "publishers": [
                    {"type": "directory", "root": str(tmp_path)},
                    {
                        "type": "webhook",
                        "url": "https://hooks.example/x",
                        "auth_env": "HOOK_TOKEN",
                        "auth_scheme": "Bearer",
                        "verify": str(ca),
                        "attempts": 5,
                        "backoff_s": 0.1,
                        "max_total_s": 5,
                        "headers": {"X-Team": "sre"},
                    },
                    {
                        "type": "pushgateway",
                        "url": "http://127.0.0.1:9091",
                        "job": "chaos",
                        "grouping": {"env": "ci"},
                    },
                    {"type": "junit", "path": "reports/{slug}.xml", "suite_name": "nightly"},
                    {"type": "markdown", "step_summary": False},
                    {"type": "html", "title": "Nightly"},
                ],
                "redact": {"env": ["MY_PASSWORD"]},
            }
        },
        {},
    )
    assert config is not None
    assert [p.type for p in config.publishers] == [
        "directory",
        "webhook",
        "pushgateway",
        "junit",
        "markdown",
        "html",
    ]
    webhook = config.publishers[1]
    assert webhook.verify == str(ca) and webhook.attempts == 5 and webhook.label == "webhook"
    assert config.redact.env == ["MY_PASSWORD"]


def test_env_file_is_added_to_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "pub.yaml"
    path.write_text("publishers:\n  - {type: junit, path: /tmp/j.xml}\n")
    config = load_config(
        {"chaosguard": {"publishers": [{"type": "markdown"}]}}, {ENV_VAR: str(path)}
    )
    assert config is not None and [p.type for p in config.publishers] == ["markdown", "junit"]
    for text in (
        "- {type: html}\n",
        "chaosguard:\n  publishers: [{type: html}]\n",
    ):  # a list; a settings file
        path.write_text(text)
        loaded = load_config(None, {ENV_VAR: str(path)})
        assert loaded is not None and [p.type for p in loaded.publishers] == ["html"]


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        ({"publishers": [{"type": "webhook"}]}, "chaosguard.publishers.0.url", "required"),
        ({"publishers": [{"type": "ftp"}]}, "chaosguard.publishers.0.type", "expected one of"),
        ({"publishers": [{"url": "x"}]}, "chaosguard.publishers.0.type", "required"),
        (
            {"publishers": [{"type": "junit", "pth": "x"}]},
            "chaosguard.publishers.0.pth",
            "unknown field",
        ),
        (
            {"publishers": [{"type": "webhook", "url": "ftp://x"}]},
            "chaosguard.publishers.0.url",
            "http",
        ),
        (
            {"publishers": [{"type": "webhook", "url": "https://u:p@x/"}]},
            "chaosguard.publishers.0.url",
            "auth_env",
        ),
        (
            {"publishers": [{"type": "webhook", "url": "https://x/?token=abc"}]},
            "chaosguard.publishers.0.url",
            "auth_env",
        ),
        (
            {
                "publishers": [
                    {
                        "type": "webhook",
                        "url": "https://x/",
                        "headers": {"Authorization": "Bearer x"},
                    }
                ]
            },
            "chaosguard.publishers.0.headers",
            "auth_env",
        ),
        (
            {
                "publishers": [
                    {"type": "webhook", "url": "https://x/", "verify": "/nonexistent/ca.pem"}
                ]
            },
            "chaosguard.publishers.0.verify",
            "does not exist",
        ),
        (
            {"publishers": [{"type": "webhook", "url": "https://x/", "attempts": 0}]},
            "chaosguard.publishers.0.attempts",
            ">= 1",
        ),
        (
            {"publishers": [{"type": "pushgateway", "url": "http://x", "grouping": {"job": "y"}}]},
            "chaosguard.publishers.0.grouping",
            "label",
        ),
        ({"publishers": "directory"}, "chaosguard.publishers", "list"),
        (
            {"publishers": [], "redact": {"env": ["not a name"]}},
            "chaosguard.redact.env.0",
            "pattern",
        ),
    ],
)
def test_one_line_errors_name_the_field(doc: dict[str, Any], field: str, words: str) -> None:
    message = _invalid({"chaosguard": doc})
    assert f"'{field}'" in message, message
    assert words in message, message


def test_env_file_errors(tmp_path: Path) -> None:
    assert "cannot read" in _invalid(None, {ENV_VAR: str(tmp_path / "missing.yaml")})
    bad = tmp_path / "bad.yaml"
    bad.write_text("publishers: [\n")
    assert "not valid YAML" in _invalid(None, {ENV_VAR: str(bad)})
    bad.write_text("publishers: [{type: webhook}]\n")
    assert f"'{bad}:publishers.0.url'" in _invalid(None, {ENV_VAR: str(bad)})


# --------------------------------------------------------------------------------------------- fuzz

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
_values = st.recursive(
    _scalars,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=8), kids, max_size=3)
    ),
    max_leaves=12,
)
_fields = st.sampled_from(
    [
        "type",
        "url",
        "root",
        "path",
        "verify",
        "auth_env",
        "auth_header",
        "attempts",
        "backoff_s",
        "max_total_s",
        "job",
        "grouping",
        "headers",
        "suite_name",
        "name",
        "timeout_s",
        "step_summary",
        "title",
        "auth_scheme",
    ]
)
_near = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["directory", "webhook", "pushgateway", "junit", "markdown", "html", "x"]
        )
    },
    optional={
        "url": st.sampled_from(["http://127.0.0.1:9", "https://x/", "nope", "http://a:b@c/"])
    },
).flatmap(
    lambda base: st.dictionaries(_fields, _values, max_size=3).map(lambda extra: {**base, **extra})
)


@FUZZ
@given(
    st.one_of(
        _values,
        st.fixed_dictionaries({"publishers": st.lists(st.one_of(_near, _values), max_size=3)}),
        st.fixed_dictionaries({"publishers": st.lists(_near, max_size=3), "redact": _values}),
    )
)
def test_any_document_loads_or_fails_in_one_line(doc: Any) -> None:
    try:
        result = parse_config(doc)
    except InvalidArgument as exc:
        message = str(exc)
        assert message.startswith("invalid argument 'chaosguard") and "\n" not in message
        assert len(message) < 400
    else:
        assert isinstance(result, PublishersConfig)
