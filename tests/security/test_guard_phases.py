"""Issue 9 item 2: every action in every phase is judged (rollbacks, the hypothesis, process
probes), and "nothing was injected" is the ledger's word, not the phase's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.guarded import ROOT_EXISTS, action, chaos_run, experiment, value_env
from tests.helpers import ledger_records
from tests.security.guard_sources import operator_policy, stopped, victim

pytestmark = [pytest.mark.security, pytest.mark.slow]

PROC = "chaosguard.actions.process"
DENY = operator_policy(local={"deny_process_patterns": ["cg-victim"]})
PROBE = {**ROOT_EXISTS, "tolerance": True}


def _pause(tag: str) -> dict:
    return action("pause", PROC, "pause_processes", name_pattern=tag, max_processes=1)


def test_a_denied_action_in_the_rollbacks_is_refused(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    with victim() as (proc, tag):
        doc = experiment([PROBE], rollbacks=[_pause(tag)])
        res = chaos_run(tmp_path, doc, env, policy=DENY)
        assert not stopped(proc)
        assert ledger_records(chaosguard_home) == []
        assert res.rc != 0 and res.guard["outcome"] == "refused", res.stderr[-2000:]
        assert "cg-victim" in res.guard["reason"] and res.guard["injected"] == []


def test_an_action_in_the_steady_state_hypothesis_is_refused(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    with victim() as (proc, tag):
        doc = experiment([PROBE], hypothesis=[PROBE, {**_pause(tag), "tolerance": True}])
        res = chaos_run(tmp_path, doc, env, policy=operator_policy())
        assert not stopped(proc)
        assert ledger_records(chaosguard_home) == []
        assert res.rc != 0 and res.guard["outcome"] == "refused", res.stderr[-2000:]
        assert "hypothesis" in res.guard["reason"]


def test_a_process_probe_is_judged_as_the_action_it_is(
    tmp_path: Path, chaos_env: dict, chaosguard_home: Path
) -> None:
    env = value_env(tmp_path, chaos_env, 1)
    with victim() as (proc, _):
        probe = {
            "type": "probe",
            "name": "stop-it",
            "provider": {"type": "process", "path": "kill", "arguments": f"-STOP {proc.pid}"},
        }
        res = chaos_run(tmp_path, experiment([probe]), env, policy=operator_policy())
        assert not stopped(proc)
        assert res.rc != 0 and res.guard["outcome"] == "refused", res.stderr[-2000:]
        assert "actions.allow" in res.guard["reason"]
