"""``acquire_run_lock`` without a cluster: local scopes take the flock; ``k8s:`` scopes are checked
(namespace names, lease duration, a kubeconfig) before any request is made."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaosguard.errors import InvalidArgument, Refused
from chaosguard.guard.lock import acquire_run_lock, lease_seconds, namespaces_of
from chaosguard.guard.scope import scope_of
from chaosguard.ledger.lock import ScopeLock


def test_a_host_scope_takes_the_local_flock_which_is_never_lost() -> None:
    lock = acquire_run_lock("host:test", "run-a")
    try:
        assert isinstance(lock, ScopeLock) and lock.lost() is None
        with pytest.raises(Refused, match="locked by guarded run run-a"):
            acquire_run_lock("host:test", "run-b")
    finally:
        lock.release()


def test_namespaces_are_sorted_unique_and_must_be_names() -> None:
    assert namespaces_of("k8s:shop,payments,shop") == ["payments", "shop"]
    with pytest.raises(InvalidArgument, match=r"'\$\{ns\}' is not a namespace name"):
        namespaces_of("k8s:${ns}")
    with pytest.raises(InvalidArgument, match="names no namespace"):
        namespaces_of("k8s:")


@given(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
)
def test_the_lease_duration_is_whole_seconds_from_5_to_3600(raw: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHAOSGUARD_LEASE_SECONDS", raw)
        try:
            value = lease_seconds()
        except InvalidArgument as exc:
            assert exc.field == "CHAOSGUARD_LEASE_SECONDS" and "\n" not in str(exc)
            return
    if raw.strip():
        assert 5 <= value <= 3600 and value == int(raw)
    else:
        assert value == 30


def test_a_k8s_scope_without_a_kubeconfig_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(Refused) as refused:
        acquire_run_lock("k8s:shop", "run-a")
    assert "cannot take the scope Lease of k8s:shop" in str(refused.value)
    assert "does not exist" in str(refused.value) and "\n" not in str(refused.value)


def test_the_scope_resolves_namespaces_from_the_configuration() -> None:
    experiment = {
        "method": [
            {"provider": {"arguments": {"namespace": "${target}"}}},
            {"provider": {"arguments": {"ns": "shop"}}},
        ]
    }
    assert scope_of(experiment, {"target": "payments"}) == "k8s:payments,shop"
    assert scope_of({"method": []}).startswith("host:")
