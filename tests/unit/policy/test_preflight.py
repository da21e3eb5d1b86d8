"""Preflight rules that need no live system: kill switch, window, freeze, unguarded, budget."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from chaosguard.policy import (
    Policy,
    budget_refusal,
    error_budget_check,
    preflight_checks,
    preflight_policy,
)
from chaosguard.slo.spec import HttpGuard

NOW = datetime.fromisoformat("2026-03-25T10:00:00+00:00")  # a Wednesday
GUARD = HttpGuard(name="p95", source="http", url="http://127.0.0.1:1/", max=500)


def test_defaults_refuse_only_an_unguarded_experiment() -> None:
    assert preflight_policy(Policy(), [GUARD], NOW) == []
    reasons = preflight_policy(Policy(), [], NOW)
    assert len(reasons) == 1 and reasons[0].startswith("guards: the experiment declares no guards")
    assert preflight_policy(Policy.model_validate({"allow_unguarded": True}), [], NOW) == []


def test_every_reason_is_listed_in_order(tmp_path: Path) -> None:
    stop = tmp_path / "STOP"
    stop.touch()
    policy = Policy.model_validate(
        {
            "kill_switch": {"file": str(stop)},
            "windows": [{"days": ["sat-sun"]}],
            "freeze": [{"start": "2026-03-20", "end": "2026-03-31", "reason": "quarter end"}],
        }
    )
    checks = preflight_checks(policy, [], NOW)
    assert [(c.name, c.ok) for c in checks] == [
        ("kill switch", False),
        ("time window", False),
        ("freeze", False),
        ("guards", False),
    ]
    reasons = preflight_policy(policy, [GUARD], NOW)
    assert [r.split(":")[0] for r in reasons] == ["kill switch", "time window", "freeze"]
    assert reasons[0] == f"kill switch: ON (file {stop}): {stop} exists"
    assert "quarter end" in reasons[2]
    assert all("\n" not in r for r in reasons)


def test_budget_floor() -> None:
    policy = Policy.model_validate({"guard": {"error_budget_floor": 0.25}})
    assert budget_refusal(policy, 0.5) is None
    assert budget_refusal(policy, 0.1, "budget") == (
        "error budget (budget): 10.0% remaining is below policy guard.error_budget_floor=0.25"
    )
    assert budget_refusal(Policy(), 0.0) is None


def test_epoch_seconds_are_accepted_as_now() -> None:
    policy = Policy.model_validate({"windows": [{"days": ["wed"]}]})
    assert preflight_policy(policy, [GUARD], NOW.timestamp()) == []
    assert preflight_policy(policy, [GUARD], NOW.timestamp() + 86400)[0].startswith("time window:")


def test_error_budget_check_fails_closed_without_a_reading() -> None:
    policy = Policy.model_validate({"guard": {"error_budget_floor": 0.25}})
    assert error_budget_check(Policy()) is None
    assert "none was taken (fail closed)" in (error_budget_check(policy) or "")
    assert error_budget_check(policy, 0.3) is None
    assert error_budget_check(policy, 0.2) is not None
