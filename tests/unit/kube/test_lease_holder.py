"""How a Lease object is read: who holds it, since when, until when (no API server needed; taking,
renewing and releasing run against the real one in ``tests/kubernetes/test_lease_lock.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from chaosguard.kube.lease import ANN_HOST, ANN_PID, ANN_RUN, holder_of, identity_of


def _lease(identity: str, renew: str, duration: int, ann: dict | None = None) -> dict:
    return {
        "metadata": {"annotations": ann or {}},
        "spec": {
            "holderIdentity": identity,
            "acquireTime": "2026-11-30T08:00:00.000000Z",
            "renewTime": renew,
            "leaseDurationSeconds": duration,
        },
    }


def test_the_holder_and_its_expiry() -> None:
    ann = {ANN_RUN: "run-1", ANN_HOST: "laptop", ANN_PID: "4242"}
    holder = holder_of("shop", _lease("run-1@laptop", "2026-11-30T08:00:10.500000Z", 15, ann))
    assert holder is not None
    assert (holder.run_id, holder.host, holder.pid) == ("run-1", "laptop", 4242)
    assert holder.since == datetime(2026, 11, 30, 8, 0, tzinfo=UTC).timestamp()
    assert holder.expires == datetime(2026, 11, 30, 8, 0, 25, 500000, tzinfo=UTC).timestamp()
    assert holder.describe() == "run run-1 on host laptop (pid 4242) since 2026-11-30 08:00:00 UTC"


def test_annotations_of_another_holder_are_not_believed() -> None:
    """A Lease whose holderIdentity was changed by someone else keeps our annotations."""
    ann = {ANN_RUN: "run-1", ANN_HOST: "laptop", ANN_PID: "4242"}
    holder = holder_of("shop", _lease("intruder@elsewhere", "2026-11-30T08:00:10Z", 15, ann))
    assert holder is not None and (holder.run_id, holder.host, holder.pid) == (
        "intruder",
        "elsewhere",
        0,
    )
    assert "(pid ?)" in holder.describe()


def test_a_released_lease_has_no_holder() -> None:
    assert holder_of("shop", _lease("", "2026-11-30T08:00:10Z", 15)) is None
    assert holder_of("shop", {}) is None


ANY = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats())


@given(st.text(max_size=30), ANY, ANY)
def test_any_lease_object_reads_without_raising(
    identity: str, renew: object, duration: object
) -> None:
    spec = {"renewTime": renew, "leaseDurationSeconds": duration}
    lease = {"metadata": {"annotations": {ANN_PID: identity}}, "spec": spec}
    lease["spec"]["holderIdentity"] = identity
    holder = holder_of("ns", lease)
    assert (holder is None) == (not identity)


def test_identity_names_run_and_host() -> None:
    assert identity_of("run-1", "laptop") == "run-1@laptop"
