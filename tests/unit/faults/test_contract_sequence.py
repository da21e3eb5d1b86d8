"""The order the fault contract promises, with a recording kind: the ledger is on disk before the
kind touches anything (inject, change), a failure is recorded too, and refusals write nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from chaosguard.errors import InjectionError, InvalidArgument, Refused
from chaosguard.faults import contract
from chaosguard.faults.contract import FaultKind, FixedFault
from chaosguard.ledger.store import FaultRecord, RunLedger, read_run


class Knob(BaseModel):
    model_config = ConfigDict(frozen=True)

    level: int
    permanent: bool = False


class RecordingKind:
    """Remembers what the ledger said at the moment each method touched "the world"."""

    name = "test-knob"
    Spec = Knob

    def __init__(self, ledger: RunLedger) -> None:
        self.ledger = ledger
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.fail_change = False
        self.level = 0

    def _on_disk(self, record: FaultRecord) -> dict[str, Any]:
        return read_run(self.ledger.path).records[record.id].spec

    def validate(self, spec: Knob) -> None:
        if spec.level < 0:
            raise InvalidArgument("level", "must be >= 0")

    def revertible(self, spec: Knob) -> bool:
        return not spec.permanent

    def inject(self, spec: Knob, record: FaultRecord) -> dict[str, Any]:
        self.seen.append(("inject", self._on_disk(record)))
        self.level = spec.level
        return {"level": spec.level}

    def validate_change(self, record: FaultRecord, new_spec: Knob) -> None:
        if new_spec.permanent:
            raise Refused("cannot become permanent")

    def change(self, record: FaultRecord, new_spec: Knob) -> dict[str, Any]:
        self.seen.append(("change", self._on_disk(record)))
        if self.fail_change:
            raise OSError("the knob is stuck")
        self.level = new_spec.level
        return {"level": new_spec.level}

    def revert(self, record: FaultRecord) -> str:
        was, self.level = self.level, 0
        return "reverted" if was else "vanished"

    def observe(self, record: FaultRecord) -> bool | dict[str, Any]:
        return {"level": self.level} if self.level else False


@pytest.fixture()
def ledger(chaosguard_home: Path) -> Iterator[RunLedger]:
    run = RunLedger.create(chaosguard_home)
    yield run
    run.release()


@pytest.fixture()
def knob(ledger: RunLedger, monkeypatch: pytest.MonkeyPatch) -> RecordingKind:
    k = RecordingKind(ledger)
    assert isinstance(k, FaultKind)
    monkeypatch.setitem(contract.KINDS, k.name, "tests:unused")
    monkeypatch.setitem(contract._loaded, k.name, k)
    return k


def _ops(ledger: RunLedger) -> list[str]:
    return [json.loads(line)["op"] for line in ledger.path.read_text().splitlines()]


def test_inject_change_revert_each_write_the_ledger_first(
    knob: RecordingKind, ledger: RunLedger
) -> None:
    record = contract.inject(knob.name, Knob(level=1), ledger)
    changed = contract.change(record, Knob(level=5), ledger)
    assert knob.seen == [
        ("inject", {"level": 1, "permanent": False}),
        ("change", {"level": 5, "permanent": False}),
    ]
    assert changed.spec["level"] == 5 and changed.prior_spec == {"level": 1, "permanent": False}
    assert changed.handles == {"level": 5} and contract.observe(changed) == {"level": 5}
    folded = read_run(ledger.path).records[record.id]
    assert folded.spec == changed.spec and folded.prior_spec == changed.prior_spec
    closed = contract.revert(changed, ledger)
    assert closed.outcome == "reverted" and not contract.observe(closed)
    assert contract.revert(record, ledger) == read_run(ledger.path).records[record.id]  # stale copy
    assert _ops(ledger) == ["run", "open", "update", "change", "update", "close"]


def test_a_failed_change_is_recorded_and_the_fault_stays_open(
    knob: RecordingKind, ledger: RunLedger
) -> None:
    record = contract.inject(knob.name, Knob(level=1), ledger)
    knob.fail_change = True
    with pytest.raises(InjectionError, match="change not applied \\(the knob is stuck\\)") as err:
        contract.change(record, Knob(level=7), ledger)
    assert "\n" not in str(err.value)
    folded = read_run(ledger.path).records[record.id]
    assert folded.is_open and folded.change_error == "the knob is stuck"
    assert folded.spec["level"] == 7 and folded.prior_spec == {"level": 1, "permanent": False}
    assert _ops(ledger)[-2:] == ["change", "change-failed"]
    knob.fail_change = False
    again = contract.change(record, Knob(level=2), ledger)  # a later change clears the doubt
    assert again.change_error is None and again.prior_spec == {"level": 7, "permanent": False}
    assert read_run(ledger.path).records[record.id].change_error is None


def test_refusals_write_nothing(knob: RecordingKind, ledger: RunLedger) -> None:
    with pytest.raises(InvalidArgument, match="level"):
        contract.inject(knob.name, Knob(level=-1), ledger)
    with pytest.raises(InvalidArgument, match="'spec'"):
        contract.inject(knob.name, Refusing(), ledger)
    assert _ops(ledger) == ["run"]
    record = contract.inject(knob.name, Knob(level=1), ledger)
    before = ledger.path.read_text()
    with pytest.raises(Refused, match="cannot become permanent"):
        contract.change(record, Knob(level=1, permanent=True), ledger)
    closed = contract.revert(record, ledger)
    with pytest.raises(Refused, match="is closed"):
        contract.change(closed, Knob(level=3), ledger)
    assert ledger.path.read_text().count('"op":"change"') == 0
    assert before in ledger.path.read_text()


class Refusing(BaseModel):
    """Not the kind's spec."""


def test_a_permanent_fault_is_closed_at_once_as_evidence(
    knob: RecordingKind, ledger: RunLedger
) -> None:
    record = contract.inject(knob.name, Knob(level=3, permanent=True), ledger)
    assert not record.is_open and record.outcome == "not-revertible" and not record.revertible
    assert record.handles == {"level": 3}
    assert contract.revert(record, ledger) == record
    assert knob.level == 3  # nothing asked the kind to undo it
    assert _ops(ledger) == ["run", "open", "update", "close"]


def test_a_fixed_fault_refuses_every_change(ledger: RunLedger) -> None:
    class Fixed(FixedFault):
        name = "fixed"

    record = ledger.open("fixed", {})
    with pytest.raises(Refused, match="a fixed fault cannot be changed once injected"):
        Fixed().change(record, Knob(level=1))
