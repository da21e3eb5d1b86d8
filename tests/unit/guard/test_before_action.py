"""Every action of every section is judged; a dead watcher refuses the next action."""

from __future__ import annotations

from typing import Any

import pytest

from chaosguard.errors import Refused
from chaosguard.guard.breach import Breach
from chaosguard.guard.session import GuardSession, Phase
from chaosguard.policy.model import Policy

STRESS: dict[str, Any] = {
    "type": "action",
    "name": "stress",
    "provider": {
        "type": "python",
        "module": "chaosguard.actions.stress",
        "func": "stress_cpu",
        "arguments": {"workers": 8},
    },
}


class _DeadWatcher:
    fired = 0

    def check_alive(self) -> bool:
        self.fired += 1
        return False

    def stop(self) -> None:
        pass


def _session(**policy: Any) -> GuardSession:
    session = GuardSession()
    session.policy = Policy.model_validate(policy)
    return session


def test_an_action_in_the_hypothesis_is_refused() -> None:
    with pytest.raises(Refused, match="steady-state hypothesis"):
        _session().before_action(STRESS, None, None, "hypothesis")


@pytest.mark.parametrize("section", ["method", "rollbacks", "unknown"])
def test_the_policy_judges_every_section(section: str) -> None:
    with pytest.raises(Refused, match="max_cpu_workers"):
        _session(local={"max_cpu_workers": 2}).before_action(STRESS, None, None, section)


def test_after_an_abort_only_rollbacks_run() -> None:
    session = _session()
    session.breach = Breach("value", 11, "<= 10", "objective violated", 0.0)
    stop = {**STRESS, "provider": {**STRESS["provider"], "func": "stop_stress", "arguments": {}}}
    session.before_action(stop, None, None, "rollbacks")
    with pytest.raises(Refused, match="aborted this run"):
        session.before_action(stop, None, None, "method")


def test_a_dead_watcher_refuses_the_next_action() -> None:
    session = _session()
    dead = _DeadWatcher()
    session.watcher = dead  # type: ignore[assignment]
    session.enter(Phase.PREFLIGHT)
    session.enter(Phase.WATCHING)
    with pytest.raises(Refused, match="watcher is not running"):
        session.before_action(STRESS, None, None, "method")
    assert dead.fired == 1


def test_a_process_probe_in_the_hypothesis_is_judged_by_the_policy_not_refused_outright() -> None:
    probe = {
        "type": "probe",
        "name": "health",
        "provider": {"type": "process", "path": "/usr/bin/curl", "arguments": "-sf http://x"},
    }
    with pytest.raises(Refused, match=r"actions\.allow"):
        _session().before_action(probe, None, None, "hypothesis")
    allowed = _session(actions={"allow": ["process:/usr/bin/curl"]})
    allowed.before_action(probe, None, None, "hypothesis")


def test_a_hook_that_fails_before_judging_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything failing in the activity hook before the judgement (finding the section, the event)
    refuses the action: Chaos Toolkit swallows any other exception and would run it unjudged."""
    from chaoslib.exceptions import InterruptExecution

    from chaosguard.guard import control, phases

    def broken(*args: Any) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(phases, "phase_of", broken)
    monkeypatch.setattr(control, "_session", _session())
    try:
        with pytest.raises(InterruptExecution, match="boom"):
            control.before_activity_control(STRESS, experiment={"method": [STRESS]})
    finally:
        control.cleanup_control()
