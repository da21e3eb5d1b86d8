"""Stress actions refuse bad arguments up front: a one-line error naming the field, no record."""

from __future__ import annotations

import math
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosguard import faults
from chaosguard.actions import stress
from chaosguard.errors import InvalidArgument
from chaosguard.faults.stress import _stressng as stressng
from chaosguard.faults.stress.handles import check_cpu, check_memory
from chaosguard.faults.stress.kind import nice_of
from chaosguard.faults.stress.spec import (
    CpuStressSpec,
    MemoryStressSpec,
    max_workers,
    memory_limit_mib,
)
from chaosguard.ledger.store import FaultRecord
from chaosguard.validation import parse

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

not_a_number = st.one_of(
    st.text(alphabet="abcxyz -", min_size=1, max_size=8),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
bad_workers = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=max_workers() + 1),
    st.booleans(),
    st.floats(allow_nan=False).filter(lambda f: not f.is_integer()),
    not_a_number,
)
bad_load = st.one_of(
    st.floats(max_value=0.0),
    st.floats(min_value=100.0, exclude_min=True),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    not_a_number,
)
bad_duration = st.one_of(
    st.floats(max_value=-1e-9), st.sampled_from([math.nan, math.inf]), not_a_number
)
bad_backend = st.one_of(
    st.text(max_size=12).filter(lambda s: s not in ("builtin", "stress-ng")),
    st.none(),
    st.integers(),
)
bad_priority = st.one_of(
    st.text(max_size=12).filter(lambda s: s not in ("background", "normal")),
    st.none(),
    st.integers(),
    st.booleans(),
)
bad_kind = st.one_of(
    st.text(max_size=10).filter(lambda s: s not in ("all", "cpu", "memory")), st.none()
)


def _huge_mib() -> st.SearchStrategy[int]:
    # beyond total memory, so never allowed whatever the other processes free in the meantime
    return st.integers(min_value=(psutil.virtual_memory().total >> 20) + 1, max_value=1 << 40)


bad_mib = st.one_of(
    st.integers(max_value=0),
    st.booleans(),
    st.floats(allow_nan=False).filter(lambda f: not f.is_integer()),
    not_a_number,
)


def _refused(call, field: str, home: Path) -> None:
    with pytest.raises(InvalidArgument) as info:
        call()
    message = str(info.value)
    assert info.value.field == field
    assert f"'{field}'" in message and "\n" not in message
    ledger = home / "ledger"
    assert not ledger.exists() or not list(ledger.glob("*.jsonl")), (
        "a refused call wrote to the ledger"
    )


@FAST
@given(value=bad_workers)
def test_stress_cpu_bad_workers(value, chaosguard_home: Path) -> None:
    _refused(lambda: stress.stress_cpu(workers=value, load_percent=10), "workers", chaosguard_home)


@FAST
@given(value=bad_load)
def test_stress_cpu_bad_load(value, chaosguard_home: Path) -> None:
    _refused(lambda: stress.stress_cpu(load_percent=value), "load_percent", chaosguard_home)


@FAST
@given(value=bad_duration)
def test_stress_bad_duration(value, chaosguard_home: Path) -> None:
    _refused(
        lambda: stress.stress_cpu(load_percent=10, duration_s=value), "duration_s", chaosguard_home
    )
    _refused(lambda: stress.stress_memory(1, duration_s=value), "duration_s", chaosguard_home)


@FAST
@given(value=bad_backend)
def test_stress_bad_backend(value, chaosguard_home: Path) -> None:
    _refused(lambda: stress.stress_cpu(load_percent=10, backend=value), "backend", chaosguard_home)
    _refused(lambda: stress.stress_memory(1, backend=value), "backend", chaosguard_home)


@FAST
@given(value=bad_priority)
def test_stress_bad_priority_names_the_field(value) -> None:
    for model, base in ((CpuStressSpec, {}), (MemoryStressSpec, {"mib": 1})):
        with pytest.raises(InvalidArgument) as info:
            parse(model, **base, priority=value)
        assert info.value.field == "priority"
        assert "'priority'" in str(info.value) and "\n" not in str(info.value)


def test_priority_defaults_to_background_and_maps_to_nice() -> None:
    assert CpuStressSpec().priority == "background"
    assert MemoryStressSpec(mib=1).priority == "background"
    assert parse(CpuStressSpec, priority="normal").priority == "normal"
    assert (nice_of("background"), nice_of("normal")) == (19, 0)


def _record(kind: str, spec: dict[str, object]) -> FaultRecord:
    handles = {"pid": 12345, "create_time": 1.0}
    return FaultRecord.new(
        id="r1", run_id="run", kind=kind, spec=spec, handles=handles, created_at=1.0
    )


def test_revert_trusts_records_with_or_without_priority() -> None:
    cpu = {"workers": 1, "load_percent": 50.0, "duration_s": 0.0, "backend": "builtin"}
    mem = {"mib": 64, "duration_s": 0.0, "backend": "builtin"}
    for priority in ({}, {"priority": "background"}, {"priority": "normal"}):
        check_cpu(_record("cpu-stress", {**cpu, **priority}))  # older records have no priority
        check_memory(_record("memory-stress", {**mem, **priority}))
    with pytest.raises(ValueError, match="priority"):
        check_cpu(_record("cpu-stress", {**cpu, "priority": "realtime"}))


@FAST
@given(value=st.one_of(bad_mib, _huge_mib()))
def test_stress_memory_bad_mib(value, chaosguard_home: Path) -> None:
    _refused(lambda: stress.stress_memory(value), "mib", chaosguard_home)


@FAST
@given(value=bad_kind)
def test_stop_stress_bad_kind(value, chaosguard_home: Path) -> None:
    _refused(lambda: stress.stop_stress(kind=value), "kind", chaosguard_home)


def test_memory_beyond_available_names_the_margin(chaosguard_home: Path) -> None:
    limit, available, margin = memory_limit_mib()
    assert margin >= 256 and limit == max(0, available - margin)
    with pytest.raises(InvalidArgument, match=r"'mib'.*available minus a \d+ MiB safety margin"):
        stress.stress_memory(psutil.virtual_memory().total >> 20)


def test_missing_stress_ng_names_backend(
    chaosguard_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: stress-ng cannot be found
    _refused(lambda: stress.stress_cpu(backend="stress-ng"), "backend", chaosguard_home)
    _refused(lambda: stress.stress_memory(8, backend="stress-ng"), "backend", chaosguard_home)
    with pytest.raises(InvalidArgument, match="stress-ng is not installed"):
        stress.stress_cpu(backend="stress-ng")


def test_kinds_are_registered_and_match_the_contract() -> None:
    for name in ("cpu-stress", "memory-stress"):
        kind = faults.kind(name)
        assert isinstance(kind, faults.FaultKind)
        assert kind.name == name and kind.revertible


def test_stressng_command_lines() -> None:
    assert stressng.cpu_argv(2, 49.6) == ["--cpu", "2", "--cpu-load", "50", "--timeout", "0"]
    assert (
        stressng.cpu_argv(1, 0.2)[3] == "1"
    )  # stress-ng takes whole percents; never 0 (= its default)
    assert stressng.memory_argv(512) == [
        "--vm",
        "1",
        "--vm-bytes",
        "512M",
        "--vm-keep",
        "--vm-populate",
        "--timeout",
        "0",
    ]


def test_actions_are_discoverable_with_simple_types() -> None:
    from chaoslib.discovery.discover import discover_actions

    found = {a["name"]: a for a in discover_actions("chaosguard.actions.stress")}
    assert set(found) == set(stress.__all__) == {"stress_cpu", "stress_memory", "stop_stress"}
    for activity in found.values():
        assert activity["doc"]
        for arg in activity.get("arguments", []):
            assert arg.get("type") in (None, "integer", "number", "string", "boolean", "mapping"), (
                arg
            )
