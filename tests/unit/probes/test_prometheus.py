"""Prometheus probes: fuzzed bad arguments give a one-line InvalidArgument naming the field, before
any request is made."""

from __future__ import annotations

import inspect
import math
from unittest import mock

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaosguard.errors import InvalidArgument
from chaosguard.probes import prometheus as probes
from chaosguard.slo.prometheus import client as prom_client
from chaosguard.slo.prometheus.validate import MAX_QUERY_CHARS

GOOD_URL = "http://127.0.0.1:9090"
PROBES = [probes.prometheus_value, probes.error_budget_remaining, probes.burn_rate]


def _query_arg(func: object) -> str:
    return "query" if func is probes.prometheus_value else "error_ratio_query"


def _call(func: object, **overrides: object) -> object:
    args: dict[str, object] = {"url": GOOD_URL, _query_arg(func): "x", "timeout_s": 2.0}
    args.update(overrides)
    return func(**args)  # type: ignore[operator]


def _assert_clean(err: InvalidArgument, field: str) -> None:
    assert err.field == field, str(err)
    text = str(err)
    assert text.startswith(f"invalid argument '{field}': ") and "\n" not in text
    assert (
        err.__cause__ is None
    )  # raised "from None" or directly: Chaos Toolkit shows no chained traceback
    assert err.__suppress_context__ or err.__context__ is None


@pytest.fixture()
def no_network() -> mock.MagicMock:
    with mock.patch.object(prom_client, "query_value", return_value=0.002) as stub:
        yield stub


def test_the_probe_module_follows_the_activity_rules() -> None:
    import chaosguard.probes.prometheus as mod

    source = inspect.getsource(mod)
    assert "from __future__ import annotations" not in source.replace(
        "No ``from __future__ import annotations``", ""
    )
    assert mod.__all__ == ["prometheus_value", "error_budget_remaining", "burn_rate"]
    for func in PROBES:
        params = list(inspect.signature(func).parameters.values())
        assert [p.name for p in params[-2:]] == ["configuration", "secrets"]
        assert all(p.annotation in (str, int, float, bool, dict) for p in params)
        assert inspect.signature(func).return_annotation is float


def test_values_from_the_stub(no_network: mock.MagicMock) -> None:
    assert probes.prometheus_value(GOOD_URL, "x") == 0.002
    assert probes.burn_rate(GOOD_URL, "x") == pytest.approx(2.0)
    assert probes.error_budget_remaining(GOOD_URL, "x", objective=0.99) == pytest.approx(0.8)
    assert no_network.call_args.args == (GOOD_URL, "x", 5.0)


def test_a_negative_error_ratio_is_refused(no_network: mock.MagicMock) -> None:
    no_network.return_value = -0.5
    from chaosguard.slo.base import SourceUnreadable

    with pytest.raises(SourceUnreadable, match="error ratio is >= 0"):
        probes.burn_rate(GOOD_URL, "x")


def _url_is_acceptable(url: str) -> bool:
    if (
        not url
        or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url)
        or "?" in url
        or "#" in url
    ):
        return False
    try:
        parsed = httpx.URL(url)
    except Exception:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


url_texts = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda s, rest: s + rest,
        st.sampled_from(["http://", "https://", "ftp://", "http:/", "//", ""]),
        st.text(alphabet=st.sampled_from(list("ab1:/?#@[]% .\t\n-_")), max_size=20),
    ),
    st.sampled_from(
        [
            "http://",
            "http://:9090",
            "http://[::1",
            "http://host:99999",
            "localhost:9090",
            "http://h/?q=1",
            "http://h/#f",
            " http://h",
            "http://h\n",
        ]
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PROBES), url_texts)
def test_fuzzed_urls(func: object, url: str) -> None:
    with mock.patch.object(prom_client, "query_value", return_value=0.001) as stub:
        try:
            _call(func, url=url)
        except InvalidArgument as err:
            _assert_clean(err, "url")
            assert not stub.called
        else:
            assert _url_is_acceptable(url), url
            assert stub.call_args.args[0] == url.rstrip("/")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(PROBES),
    st.one_of(st.text(max_size=30), st.just(" \t\n"), st.just("x\x00y"), st.just("a" * 20_001)),
)
def test_fuzzed_queries(func: object, query: str) -> None:
    with mock.patch.object(prom_client, "query_value", return_value=0.001):
        try:
            _call(func, **{_query_arg(func): query})
        except InvalidArgument as err:
            _assert_clean(err, _query_arg(func))
            assert not query.strip() or "\x00" in query or len(query.strip()) > MAX_QUERY_CHARS
        else:
            assert query.strip() and "\x00" not in query


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(PROBES),
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(),
        st.booleans(),
        st.text(max_size=3),
        st.none(),
    ),
)
def test_fuzzed_timeouts(func: object, timeout: object) -> None:
    with mock.patch.object(prom_client, "query_value", return_value=0.001):
        try:
            _call(func, timeout_s=timeout)
        except InvalidArgument as err:
            _assert_clean(err, "timeout_s")
        else:
            assert isinstance(timeout, int | float) and not isinstance(timeout, bool)
            assert math.isfinite(timeout) and 0 < timeout <= 300


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([probes.error_budget_remaining, probes.burn_rate]),
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(),
        st.booleans(),
        st.text(max_size=3),
    ),
)
def test_fuzzed_objectives(func: object, objective: object) -> None:
    with mock.patch.object(prom_client, "query_value", return_value=0.001):
        try:
            _call(func, objective=objective)
        except InvalidArgument as err:
            _assert_clean(err, "objective")
        else:
            assert isinstance(objective, int | float) and not isinstance(objective, bool)
            assert 0 < objective < 1


def test_bearer_token_from_secrets_or_environment(
    no_network: mock.MagicMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes.prometheus_value(
        GOOD_URL,
        "x",
        secrets={"prometheus_bearer_token": "from-secret"},
        bearer_token_env="CG_TOKEN",
    )
    assert no_network.call_args.kwargs == {"bearer_token": "from-secret"}
    with pytest.raises(InvalidArgument) as err:
        probes.prometheus_value(GOOD_URL, "x", bearer_token_env="CG_TOKEN_UNSET_FOR_TEST")
    _assert_clean(err.value, "bearer_token_env")
    monkeypatch.setenv("CG_TOKEN", "from-env")
    probes.burn_rate(GOOD_URL, "x", bearer_token_env="CG_TOKEN")
    assert no_network.call_args.kwargs == {"bearer_token": "from-env"}
    probes.prometheus_value(GOOD_URL, "x")
    assert no_network.call_args.kwargs == {"bearer_token": None}


def test_a_bad_argument_through_chaoslib_is_one_line() -> None:
    from chaoslib.activity import run_activity

    probe = {
        "type": "probe",
        "name": "p",
        "provider": {
            "type": "python",
            "module": "chaosguard.probes.prometheus",
            "func": "burn_rate",
            "arguments": {"url": GOOD_URL, "error_ratio_query": "x", "objective": 99.9},
        },
    }
    with pytest.raises(Exception) as err:
        run_activity(probe, {}, {})
    assert "invalid argument 'objective': must be in (0, 1)" in str(err.value)
    assert "\n" not in str(err.value)
