"""Redaction rules: by name, by value, by shape; properties checked with hypothesis."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosguard.journal.redact import (
    REDACTED,
    Redactor,
    is_secret_key,
    redact_journal,
    secret_values,
)
from tests.unit.journal.samples import PLANTED, SECRET_ENV, guarded_journal, with_secrets

PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "db_password",
        "PASSWORD",
        "passwd",
        "api_key",
        "apiKey",
        "X-Api-Key",
        "Authorization",
        "authorization",
        "X-Auth-Token",
        "token",
        "access_token",
        "refreshToken",
        "client_secret",
        "secrets",
        "credentials",
        "private_key",
        "Cookie",
        "session_id",
        "auth",
        "signature",
    ],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "author",
        "monkey",
        "keyboard",
        "passage",
        "compass",
        "bearer_token_env",
        "auth_env",
        "auth_header",
        "token_url",
        "secret_name",
        "password_file",
        "tokenizer_path",
        "name",
        "url",
        "outcome",
        "guard",
        "value",
        "key",
        "type",
    ],
)
def test_keys_that_name_or_are_harmless(key: str) -> None:
    assert not is_secret_key(key)


def test_planted_secrets_are_gone_and_the_rest_is_kept() -> None:
    doc = with_secrets()
    out = redact_journal(doc, env=SECRET_ENV)
    text = json.dumps(out)
    assert [k for k, v in PLANTED.items() if v in text] == []
    # references keep what they name, not what they hold
    assert out["experiment"]["secrets"]["app"]["token"] == {"type": "env", "key": "APP_TOKEN"}
    assert out["experiment"]["configuration"]["db_password"] == {
        "type": "env",
        "key": "DB_PASSWORD",
    }
    assert out["experiment"]["method"][0]["secrets"] == ["app"]
    assert out["chaosguard"]["guards"][-1]["bearer_token_env"] == "PROM_TOKEN"
    # the rest of the evidence is intact
    assert out["chaosguard"]["breach"] == doc["chaosguard"]["breach"]
    assert out["chaosguard"]["policy_digest"] == doc["chaosguard"]["policy_digest"]
    assert out["rollbacks"][0]["output"]["url"] == "https://admin:***@db.local/?api_key=***"
    assert doc["run"][0]["output"]["password"] == PLANTED["password"], "the input must not change"


def test_env_secrets_need_the_environment_only_for_their_values() -> None:
    doc = with_secrets()
    without_env = json.dumps(redact_journal(doc, env={}))
    assert PLANTED["literal_secret"] not in without_env and PLANTED["bearer"] not in without_env
    assert PLANTED["env_secret"] in without_env  # nothing could know it was secret


def test_resolved_secrets_and_configuration_from_the_control() -> None:
    doc = guarded_journal()
    doc["run"][0]["output"] = "vault gave vault-held-value-123 and cfg gave cfg-secret-value-456"
    out = redact_journal(
        doc,
        env={},
        secrets={"vault": {"db": "vault-held-value-123"}},
        configuration={"api_password": "cfg-secret-value-456", "url": "http://x"},
    )
    assert out["run"][0]["output"] == "vault gave *** and cfg gave ***"


def test_extra_values_and_idempotence() -> None:
    doc = with_secrets()
    doc["run"][0]["output"] = "webhook-auth-value-abc was echoed"
    once = redact_journal(doc, env=SECRET_ENV, extra_values=["webhook-auth-value-abc"])
    assert once["run"][0]["output"] == "*** was echoed"
    assert redact_journal(once, env=SECRET_ENV) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abcdefghij.klm", "Authorization: Bearer ***"),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***"),
        ("postgres://app:pa55word@db:5432/x", "postgres://app:***@db:5432/x"),
        ("GET /x?access_token=abc&page=2", "GET /x?access_token=***&page=2"),
        ("password=hunter2, user=bob", "password=***, user=bob"),
        ('{"client_secret": "zzz"}', '{"client_secret": "***"}'),
        ("Basic functionality works", "Basic functionality works"),
        ("the token expired", "the token expired"),
        ("bearer_token_env: PROM_TOKEN", "bearer_token_env: PROM_TOKEN"),
    ],
)
def test_shapes(text: str, expected: str) -> None:
    assert Redactor().text(text) == expected


def test_short_values_only_when_whole() -> None:
    r = Redactor(["abc"])
    assert r.value({"a": "abc", "b": "abcdef"}) == {"a": REDACTED, "b": "abcdef"}


def test_secret_values_sources() -> None:
    values = secret_values(with_secrets(), env=SECRET_ENV)
    assert set(PLANTED.values()) <= values | {PLANTED["header"]}


# --------------------------------------------------------------------------------------- properties

_secret = st.text(
    alphabet=string.ascii_letters + string.digits + "-_.~+/!@#$%^&()[]{}<>'\"\\ ",
    min_size=4,
    max_size=30,
).filter(
    # a letter and a digit: never inside a number, true/false/null (numbers match only when whole)
    lambda s: (
        s.strip() and "*" not in s and any(c.isalpha() for c in s) and any(c.isdigit() for c in s)
    )
)
_noise = st.text(max_size=20)
_keys = st.one_of(
    st.sampled_from(["name", "output", "args", "url", "headers", "value", "x"]),
    st.text(string.ascii_letters, min_size=1, max_size=8),
)


def _plant(secrets: list[str]) -> st.SearchStrategy[Any]:
    """JSON-like documents whose strings sometimes embed one of ``secrets``."""
    embedded = st.builds(
        lambda pre, s, post: pre + s + post, _noise, st.sampled_from(secrets), _noise
    )
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), _noise, embedded)
    return st.recursive(
        leaves,
        lambda kids: st.one_of(
            st.lists(kids, max_size=4), st.dictionaries(_keys, kids, max_size=4)
        ),
        max_leaves=25,
    )


@PROPS
@given(
    st.lists(_secret, min_size=1, max_size=4, unique=True).flatmap(
        lambda secrets: st.tuples(st.just(secrets), _plant(secrets))
    )
)
def test_no_known_value_survives(case: tuple[list[str], Any]) -> None:
    secrets, doc = case
    out = Redactor(secrets).value(doc)
    text = json.dumps(out, ensure_ascii=False)
    for secret in secrets:
        assert secret not in text
        assert secret not in json.dumps(out)  # escaped form too


@PROPS
@given(
    st.lists(_secret, min_size=1, max_size=3, unique=True).flatmap(
        lambda secrets: st.tuples(st.just(secrets), _plant(secrets))
    )
)
def test_redaction_is_idempotent(case: tuple[list[str], Any]) -> None:
    secrets, doc = case
    r = Redactor(secrets)
    once = r.value(doc)
    assert r.value(once) == once


@PROPS
@given(
    st.dictionaries(
        st.sampled_from(["password", "apiKey", "X-Auth-Token", "client_secret", "Authorization"]),
        st.one_of(_secret, st.integers(), st.lists(_secret, max_size=3)),
        min_size=1,
    ),
    _noise,
)
def test_secret_named_values_never_survive(secrets: dict[str, Any], noise: str) -> None:
    doc = {"experiment": {"title": "t"}, "run": [{"output": {"nested": secrets, "note": noise}}]}
    out = Redactor().value(doc)
    for value in out["run"][0]["output"]["nested"].values():
        assert value == REDACTED or value == [REDACTED] * len(value)


@PROPS
@given(
    st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(allow_nan=False),
            st.text("bcdfghjklmnpqrstvwxz .:-=", max_size=15),
        ),  # no vowel: no keyword
        lambda kids: st.one_of(
            st.lists(kids, max_size=3),
            st.dictionaries(st.sampled_from(["name", "value", "output", "n"]), kids, max_size=3),
        ),
        max_leaves=20,
    )
)
def test_documents_without_secrets_are_unchanged(doc: Any) -> None:
    assert Redactor().value(doc) == (
        json.loads(json.dumps(doc)) if not isinstance(doc, tuple) else doc
    )


_PIECES = st.sampled_from(
    ["hunter2hunter2", "Bearer abcdefgh12345678", "password=s3cr3t!", "http://u:pw@h/x", "name"]
)


@PROPS
@given(
    secrets=st.lists(st.text(min_size=4, max_size=12), max_size=3),
    texts=st.lists(
        st.one_of(st.text(max_size=40), _PIECES, st.builds("".join, st.lists(_PIECES))),
        max_size=12,
    ),
)
def test_a_redactor_answers_every_text_as_a_fresh_one_would(
    secrets: list[str], texts: list[str]
) -> None:
    """The redactor remembers texts it redacted: asking again (and in any order) must give exactly
    what a fresh redactor gives, and a long text (not remembered) likewise."""
    shared = Redactor(secrets)
    texts = [*texts, *reversed(texts), "x" * 300 + " password=abc"]
    for text in texts:
        assert shared.text(text) == Redactor(secrets).text(text)
    plain = Redactor()
    assert plain.text(texts[-1]) == plain.text(texts[-1]) == "x" * 300 + f" password={REDACTED}"


def test_is_secret_key_is_the_same_for_every_call() -> None:
    keys = ["apiKey", "api_key", "token_file", "sessionId", "name", "PASSWORD", "x-api-key"]
    first = [is_secret_key(k) for k in keys]
    assert first == [is_secret_key(k) for k in keys] == [True, True, False, True, False, True, True]
    assert not is_secret_key(42) and not is_secret_key(None)
