"""The contract test's driver, shared by the local cases (``test_contract.py``) and the Kubernetes
cases (``tests/kubernetes/test_fault_contract.py``). No tests here (named ``test_*`` to stay
with them).

One case per kind (or per way a kind behaves: a pause and a kill are both ``process-signal``) says
how to build a spec in a test world, how to see the effect *on the real thing* (processes, sockets,
the API server), and how to change it when the kind supports a change. :func:`run_contract` then
checks:

inject → recorded (spec, revertible) → the effect is there, and the kind's ``observe`` agrees →
change (recorded first, then in effect) or its clear refusal (nothing written) → revert → the effect
is gone (or, not revertible, stays: closed as evidence) → a second revert is harmless, both through
the contract and on the kind itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from chaosguard import faults
from chaosguard.errors import Refused
from chaosguard.ledger.store import FaultRecord, read_run

__all__ = ["Case", "eventually", "on_disk", "run_contract"]


@dataclass(frozen=True)
class Case:
    """How one kind meets the contract in a test ``world``."""

    id: str
    kind: str
    spec: Callable[[Any], BaseModel]
    #: is the fault's effect there now, seen on the real thing (not through the kind)?
    present: Callable[[Any, FaultRecord], bool]
    #: a new spec for a kind that can change; ``None``: the kind must refuse any change
    change: Callable[[Any, FaultRecord], BaseModel] | None = None
    #: is the changed effect there now (for a kind that can change)?
    changed: Callable[[Any, FaultRecord], bool] | None = None
    revertible: bool = True
    #: what the kind's own revert answers for a record already reverted (idempotence)
    again: str = "vanished"
    #: how long an effect may take to appear or go (Kubernetes is slower than a local process)
    timeout: float = 10.0


def eventually(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` s passed; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def on_disk(record: FaultRecord) -> FaultRecord:
    """``record`` as the run's ledger file holds it now."""
    return read_run(faults.run_ledger().path).records[record.id]


def run_contract(case: Case, world: Any) -> None:
    """Run ``case`` through the whole contract in ``world`` (see the module docstring)."""
    spec = case.spec(world)
    record = faults.inject(case.kind, spec)

    saved = on_disk(record)
    assert saved.spec == spec.model_dump(mode="json") and saved.kind == case.kind
    assert saved.revertible is case.revertible and saved.is_open is case.revertible
    assert eventually(lambda: case.present(world, record), case.timeout), "no effect after inject"
    assert faults.observe(record), "the kind does not see the effect it injected"

    if case.change is not None:
        assert case.changed is not None
        new_spec = case.change(world, record)
        changed = faults.change(record, new_spec)
        saved = on_disk(record)
        assert saved.spec == new_spec.model_dump(mode="json") == changed.spec
        assert saved.prior_spec == record.spec and saved.change_error is None and saved.is_open
        assert eventually(lambda: case.changed(world, changed), case.timeout), "change not seen"
        assert faults.observe(changed)
        record = changed
    else:
        before = faults.run_ledger().path.read_bytes()
        with pytest.raises(Refused) as refusal:
            faults.change(record, spec)
        message = str(refusal.value)
        assert "cannot be changed" in message or "is closed" in message, message
        assert "\n" not in message and faults.run_ledger().path.read_bytes() == before

    closed = faults.revert(record)
    assert not closed.is_open and on_disk(record) == closed
    if case.revertible:
        assert closed.outcome == "reverted", closed.outcome
        assert eventually(lambda: not case.present(world, closed), case.timeout), "effect stayed"
        assert not faults.observe(closed)
    else:
        assert closed.outcome == "not-revertible"
        assert case.present(world, closed)  # what cannot be undone stays done

    assert faults.revert(closed) == closed  # closed: the contract leaves it alone
    assert faults.kind(case.kind).revert(closed) == case.again  # the kind is idempotent too
    assert case.present(world, closed) is not case.revertible
