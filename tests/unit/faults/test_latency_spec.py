"""Latency proxy arguments: each bad one is refused, naming its field, before anything is saved."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chaosguard.actions import latency as actions
from chaosguard.errors import InvalidArgument
from chaosguard.faults.latency.spec import (
    MAX_JITTER_MS,
    MAX_LATENCY_MS,
    Spec,
    Toxic,
    split_address,
)
from chaosguard.ledger.store import iter_runs

GOOD = {
    "name": "p1",
    "listen": "127.0.0.1:0",
    "upstream": "127.0.0.1:9",
    "latency_ms": 10.0,
    "jitter_ms": 1.0,
    "direction": "both",
    "bandwidth_kbps": 0,
    "reset_probability": 0.0,
}
TOXIC_FIELDS = ("latency_ms", "jitter_ms", "direction", "bandwidth_kbps", "reset_probability")
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _malformed(allow_port_zero: bool) -> st.SearchStrategy[str]:
    def bad(text: str) -> bool:
        try:
            split_address(text, allow_port_zero=allow_port_zero)
        except ValueError:
            return True
        return False

    fixed = [
        "127.0.0.1",
        "127.0.0.1:",
        ":80",
        "127.0.0.1:65536",
        "127.0.0.1:-1",
        "[::1:80",
        "a b:80",
        "[nothost]:80",
        "host:port",
        "127.0.0.1:80:90",
        "",
    ]
    if not allow_port_zero:
        fixed.append("127.0.0.1:0")
    return st.sampled_from(fixed) | st.text(max_size=24).filter(bad)


BAD_TOXIC = st.one_of(
    st.tuples(
        st.just("latency_ms"),
        st.floats(max_value=-1e-6)
        | st.floats(min_value=MAX_LATENCY_MS + 1e-3)
        | st.sampled_from([math.nan, math.inf, "slow"]),
    ),
    st.tuples(
        st.just("jitter_ms"),
        st.floats(max_value=-1e-6) | st.floats(min_value=MAX_JITTER_MS + 1e-3) | st.just(math.nan),
    ),
    st.tuples(
        st.just("direction"),
        st.text(max_size=12).filter(lambda s: s not in ("upstream", "downstream", "both")),
    ),
    st.tuples(
        st.just("bandwidth_kbps"), st.integers(max_value=-1) | st.sampled_from([1.5, "fast"])
    ),
    st.tuples(
        st.just("reset_probability"),
        st.floats(min_value=1.0 + 1e-9) | st.floats(max_value=-1e-9) | st.just(math.nan),
    ),
)
BAD_START = BAD_TOXIC | st.one_of(
    st.tuples(st.just("listen"), _malformed(allow_port_zero=True)),
    st.tuples(st.just("upstream"), _malformed(allow_port_zero=False)),
    st.tuples(st.just("name"), st.sampled_from(["", "-x", "a b", "x" * 65, "ü", "a/b"])),
)


def _no_records() -> bool:
    return all(not state.records for state in iter_runs())


@FUZZ
@given(bad=BAD_START)
def test_start_refuses_each_bad_argument_by_name(bad: tuple[str, object]) -> None:
    field, value = bad
    with pytest.raises(InvalidArgument) as err:
        actions.start_latency_proxy(**{**GOOD, field: value})
    assert err.value.field == field
    assert "\n" not in str(err.value) and field in str(err.value)
    assert _no_records()


@FUZZ
@given(bad=BAD_TOXIC)
def test_set_latency_refuses_each_bad_toxic_argument_by_name(bad: tuple[str, object]) -> None:
    field, value = bad
    args = {k: v for k, v in GOOD.items() if k in TOXIC_FIELDS}
    with pytest.raises(InvalidArgument) as err:
        actions.set_latency("p1", **{**args, field: value})
    assert err.value.field == field
    assert _no_records()


@pytest.mark.parametrize("action", [actions.set_latency, actions.remove_latency])
def test_changing_an_unknown_proxy_names_the_name(action) -> None:
    with pytest.raises(InvalidArgument) as err:
        action("nobody")
    assert err.value.field == "name"
    assert _no_records()


def test_stop_and_revert_are_harmless_when_nothing_runs() -> None:
    assert actions.stop_latency_proxy("nobody") == {"name": "nobody", "outcome": "not-running"}
    assert actions.revert_latency_proxy() == {"reverted": []}
    assert actions.revert_latency_proxy("nobody") == {"reverted": []}
    assert _no_records()


def test_listen_equal_to_upstream_is_refused() -> None:
    with pytest.raises(InvalidArgument) as err:
        actions.start_latency_proxy("p", "127.0.0.1:8080", "127.0.0.1:8080")
    assert "loop" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:80", ("127.0.0.1", 80)),
        ("localhost:1", ("localhost", 1)),
        ("[::1]:65535", ("::1", 65535)),
        (" 10.0.0.1:8080 ", ("10.0.0.1", 8080)),
    ],
)
def test_addresses_parse(text: str, expected: tuple[str, int]) -> None:
    assert split_address(text) == expected


def test_specs_are_frozen_and_normalised() -> None:
    spec = Spec(name="p", listen="[::1]:0", upstream=" 127.0.0.1:80", toxic=Toxic(latency_ms=5))
    assert spec.listen == "[::1]:0" and spec.upstream == "127.0.0.1:80"
    with pytest.raises(ValidationError):
        spec.name = "q"  # type: ignore[misc]
    assert Toxic().delays is False
    assert Toxic(bandwidth_kbps=1).delays is True
    assert Toxic(direction="upstream").applies_to("upstream")
    assert not Toxic(direction="upstream").applies_to("downstream")
