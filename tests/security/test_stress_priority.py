"""A stress at normal priority competes with the machine's services: the operator must allow it
(``local.allow_stress_priority_normal``); the default, background, takes only idle CPU.

Real stress workers on this machine; the refusal injects nothing (read from the ledger).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from chaosguard.actions import stress
from chaosguard.errors import InvalidArgument, Refused
from tests.helpers import ledger_records

pytestmark = pytest.mark.security


@pytest.fixture()
def operator_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def write(**local: Any) -> None:
        path = tmp_path / "operator-policy.yaml"
        path.write_text(yaml.safe_dump({"allow_unguarded": True, "local": local}))
        monkeypatch.setenv("CHAOSGUARD_POLICY", str(path))

    return write


@pytest.mark.parametrize(
    ("action", "arguments"),
    [(stress.stress_cpu, {"workers": 1, "load_percent": 10}), (stress.stress_memory, {"mib": 8})],
)
def test_normal_priority_is_refused_unless_the_operator_allows_it(
    operator_policy: Callable[..., None],
    chaosguard_home: Path,
    action: Callable[..., dict[str, Any]],
    arguments: dict[str, Any],
) -> None:
    operator_policy()
    with pytest.raises(Refused, match=r"local\.allow_stress_priority_normal: true"):
        action(**arguments, priority="normal")
    assert ledger_records(chaosguard_home) == []


def test_allowed_normal_priority_runs_at_the_runners_nice(
    operator_policy: Callable[..., None],
) -> None:
    operator_policy(allow_stress_priority_normal=True)
    started = stress.stress_cpu(workers=1, load_percent=10, priority="normal")
    try:
        nices = {psutil.Process(pid).nice() for pid in started["pids"]}
        assert nices == {psutil.Process().nice()}, nices
    finally:
        stopped = stress.stop_stress("cpu")
    assert [s["outcome"] for s in stopped["stopped"]] == ["reverted"]


def test_background_is_the_default_and_runs_at_nice_19(
    operator_policy: Callable[..., None],
) -> None:
    operator_policy()
    started = stress.stress_cpu(workers=1, load_percent=10)
    try:
        assert {psutil.Process(pid).nice() for pid in started["pids"]} == {19}
    finally:
        stress.stop_stress("cpu")


def test_a_bad_priority_is_one_line_naming_the_field(
    operator_policy: Callable[..., None], chaosguard_home: Path
) -> None:
    operator_policy(allow_stress_priority_normal=True)
    with pytest.raises(InvalidArgument) as info:
        stress.stress_cpu(workers=1, priority="high")
    assert info.value.field == "priority" and "\n" not in str(info.value)
    assert ledger_records(chaosguard_home) == []
