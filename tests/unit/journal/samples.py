"""Journals for the journal tests: shaped like the real ones ``chaos run`` + the guard write.

``guarded_journal()`` is an aborted run modelled on the demo: hypothesis before, three actions, a
guard read every 0.5 s, one fault window (ledger record) and a breach. ``with_secrets()`` plants
secret values everywhere Chaos Toolkit and chaosguard can put them; :data:`PLANTED` lists the values
tests grep for.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

T0 = 1_795_695_827.0  # 2026-11-26T12:23:47Z

#: secret values planted by :func:`with_secrets`; none of them may appear in any output
PLANTED = {
    "literal_secret": "s3cr3t-literal-9f1c2e",
    "env_secret": "s3cr3t-from-env-77a0b1",
    "env_config": "s3cr3t-config-env-4411d",
    "bearer": "s3cr3tBearerToken0c9d8e",
    "header": "s3cr3t-header-ab12cd",
    "password": "s3cr3t-password-5e6f70",
    "prom_token": "s3cr3t-prom-token-8a9b",
    "api_key": "s3cr3t-api-key-0f0e0d",
}
#: environment for :func:`with_secrets` journals (what the run's environment held)
SECRET_ENV = {
    "APP_TOKEN": PLANTED["env_secret"],
    "DB_PASSWORD": PLANTED["env_config"],
    "PROM_TOKEN": PLANTED["prom_token"],
}


def iso(epoch: float) -> str:
    """ISO-8601 UTC like Chaos Toolkit writes."""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


def _run(
    kind: str,
    name: str,
    start: float,
    end: float,
    output: Any = None,
    status: str | None = "succeeded",
    **extra: Any,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "activity": {
            "type": kind,
            "name": name,
            "provider": {
                "type": "python",
                "module": "chaosguard.actions.latency",
                "func": name,
                "arguments": {"name": "${proxy_name}"},
            },
        },
        "output": output,
        "start": iso(start),
        "end": iso(end),
        "duration": end - start,
        **extra,
    }
    if status is not None:
        entry["status"] = status
    return entry


def _reading(guard: str, at: float, value: float | None, objective: float) -> dict[str, Any]:
    bad = value is None or value > objective
    return {
        "guard": guard,
        "read_at": at,
        "value": value,
        "source_at": at if value is not None else None,
        "violating": bad,
        "breached": bad,
        "error": None if value is not None else "no sample",
    }


def guarded_journal(title: str = "Latency SLO holds while latency escalates") -> dict[str, Any]:
    """An aborted guarded run: p95 readings rise through a fault window until the breach at +9 s."""
    values = [
        140,
        142,
        150,
        None,
        290,
        300,
        310,
        305,
        312,
        320,
        318,
        330,
        325,
        340,
        345,
        350,
        355,
        631,
    ]
    readings = [_reading("p95-latency", T0 + 0.5 * (i + 1), v, 500) for i, v in enumerate(values)]
    readings += [
        _reading("error-rate", T0 + 0.5 * (i + 1) + 0.01, 0.0, 0.01) for i in range(len(values))
    ]
    breach_at = T0 + 0.5 * len(values)
    return {
        "chaoslib-version": "1.44.0",
        "platform": "Linux",
        "node": "vm",
        "experiment": {"title": title, "description": "test", "method": [], "rollbacks": []},
        "start": iso(T0),
        "status": "aborted",
        "deviated": False,
        "steady_states": {
            "before": {
                "steady_state_met": True,
                "probes": [
                    {
                        **_run("probe", "p95-under-500ms", T0 + 0.1, T0 + 1.0, 84.2),
                        "tolerance_met": True,
                    }
                ],
            },
            "after": None,
            "during": [],
        },
        "run": [
            _run("action", "add-100ms-latency", T0 + 1.2, T0 + 1.21, {"latency_ms": 100}),
            _run("action", "escalate-to-600ms", T0 + 5.0, T0 + 5.01, {"latency_ms": 600}),
            _run("action", "hold", T0 + 5.02, breach_at + 0.01, None, status=None),
        ],
        "rollbacks": [
            _run("action", "remove-latency", breach_at + 0.05, breach_at + 0.06, {"outcome": "ok"})
        ],
        "end": iso(breach_at + 0.1),
        "duration": breach_at + 0.1 - T0,
        "chaosguard": {
            "version": "0.1.0",
            "run_id": "20261126T122347-d7d5871f",
            "outcome": "aborted",
            "reason": None,
            "policy_digest": "sha256:" + "ab" * 32,
            "policy": {"guard": {"interval_s": 0.5}},
            "guards": [
                {
                    "name": "p95-latency",
                    "max": 500.0,
                    "min": None,
                    "source": "http",
                    "url": "http://127.0.0.1:8080/",
                },
                {
                    "name": "error-rate",
                    "max": 0.01,
                    "min": None,
                    "source": "http",
                    "url": "http://127.0.0.1:8080/",
                },
            ],
            "interval_s": 0.5,
            "preflight": [readings[0]],
            "readings": readings,
            "breach": {
                "guard": "p95-latency",
                "value": 631.0,
                "threshold": "<= 500",
                "reason": "objective violated",
                "observed_at": breach_at,
                "source_at": breach_at,
                "faults_reverted_at": breach_at + 0.003,
                "abort_issued_at": breach_at + 0.004,
                "reverted": [
                    {
                        "record": "r1.aa",
                        "kind": "latency-toxic",
                        "outcome": "reverted",
                        "at": breach_at + 0.003,
                    }
                ],
                "revert_errors": [],
                "revert_latency_s": 0.003,
            },
            "rollbacks_played_by_guard": False,
            "steady_state_after_abort": None,
            "leftovers_reverted": [],
            "ledger": [
                {
                    "id": "r1.aa",
                    "run_id": "r1",
                    "kind": "latency-toxic",
                    "spec": {},
                    "handles": {},
                    "revertible": True,
                    "created_at": T0 + 1.21,
                    "closed_at": breach_at + 0.003,
                    "outcome": "reverted",
                }
            ],
            "lock": None,
        },
    }


def met_journal(title: str = "Service survives a pod kill") -> dict[str, Any]:
    """A guarded run that met its hypothesis."""
    doc = guarded_journal(title)
    section = doc["chaosguard"]
    section.update(
        outcome="met",
        breach=None,
        readings=[r for r in section["readings"] if r["value"] is not None and r["value"] < 400],
    )
    section["ledger"][0]["closed_at"] = T0 + 6.0
    doc["status"] = "completed"
    doc["run"][-1]["status"] = "succeeded"
    return doc


def outcome_journal(
    outcome: str, reason: str | None = None, title: str | None = None
) -> dict[str, Any]:
    """A guarded run with the given chaosguard outcome and reason (no breach unless aborted)."""
    doc = guarded_journal(title or f"experiment that ends {outcome}")
    if outcome != "aborted":
        doc["chaosguard"]["breach"] = None
    doc["chaosguard"].update(outcome=outcome, reason=reason)
    doc["deviated"] = outcome == "deviated"
    doc["status"] = {"met": "completed", "deviated": "completed", "aborted": "aborted"}.get(
        outcome, "failed"
    )
    return doc


def plain_journal(status: str = "completed", deviated: bool = False) -> dict[str, Any]:
    """A journal of an unguarded ``chaos run`` (no chaosguard section)."""
    doc = guarded_journal("Unguarded experiment")
    del doc["chaosguard"]
    doc["status"], doc["deviated"] = status, deviated
    doc["run"][-1]["status"] = "succeeded"
    if deviated:
        doc["steady_states"]["after"] = {
            "steady_state_met": False,
            "probes": [
                {
                    **_run("probe", "p95-under-500ms", T0 + 9.5, T0 + 9.9, 800.0),
                    "tolerance_met": False,
                }
            ],
        }
    return doc


def with_secrets(doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """``doc`` (default: the aborted guarded run) with every :data:`PLANTED` value placed where it
    can leak."""
    doc = copy.deepcopy(doc or guarded_journal())
    p = PLANTED
    exp = doc["experiment"]
    exp["secrets"] = {
        "app": {"literal": p["literal_secret"], "token": {"type": "env", "key": "APP_TOKEN"}}
    }
    exp["configuration"] = {
        "db_password": {"type": "env", "key": "DB_PASSWORD"},
        "service_url": "http://127.0.0.1:8080/",
    }
    exp["method"] = [
        {
            "type": "action",
            "name": "call-api",
            "secrets": ["app"],
            "provider": {
                "type": "http",
                "url": "http://127.0.0.1:8080/admin",
                "headers": {"Authorization": f"Bearer {p['bearer']}", "X-Api-Key": p["api_key"]},
            },
        }
    ]
    # values substituted from the secrets into an activity's output and an exception text
    doc["run"][0]["output"] = {
        "echo": f"called with {p['literal_secret']} and {p['env_secret']}",
        "password": p["password"],
    }
    doc["run"][1]["exception"] = [
        f"ActivityFailed: 401 for token {p['bearer']} (db {p['env_config']})\n"
    ]
    doc["rollbacks"][0]["output"] = {
        "url": f"https://admin:{p['password']}@db.local/?api_key={p['api_key']}",
        "headers": {"X-Auth-Token": p["header"]},
    }
    doc["chaosguard"]["guards"].append(
        {
            "name": "prom-errors",
            "max": 0.1,
            "min": None,
            "source": "prometheus",
            "url": "http://127.0.0.1:9090",
            "query": "up",
            "bearer_token_env": "PROM_TOKEN",
        }
    )
    doc["chaosguard"]["readings"][3]["error"] = f"401 Unauthorized (sent {p['prom_token']})"
    return doc


def canary_journal(
    title: str = "Latency under a 250 ms step", seed: int = 5, sd: float = 3.0
) -> dict[str, Any]:
    """A guarded run read every 0.5 s: 20 s of baseline (p95 ≈ 40 ms, no errors), then a latency
    step that triples p95 for 20 s within the 500 ms SLO (met); error ratio unchanged. The
    ``canary`` value is left for the code under test to compute (``canary_of``)."""
    import random

    rnd = random.Random(seed)
    step = T0 + 20.0
    doc = guarded_journal(title)
    doc["run"] = [
        _run("action", "add-250ms-latency", step, step + 0.02, {"latency_ms": 250}),
        _run("probe", "hold", step + 0.02, step + 20.0, None),
    ]
    doc["rollbacks"] = [_run("action", "remove-latency", step + 20.1, step + 20.2, None)]
    doc["steady_states"]["before"]["probes"][0].update(start=iso(T0 + 0.1), end=iso(T0 + 1.0))
    readings = []
    for i in range(1, 84):
        at = T0 + 0.5 * i
        p95 = rnd.gauss(40, sd) * (3.0 if step < at <= step + 20.0 else 1.0)
        readings.append(_reading("p95-latency", at, round(p95, 2), 500))
        readings.append(_reading("error-rate", at + 0.01, 0.0, 0.01))
    readings[10]["value"], readings[10]["error"] = None, "timeout"  # one unreadable baseline read
    section = doc["chaosguard"]
    section.update(
        outcome="met",
        breach=None,
        preflight=readings[:2],
        readings=readings,
        guards=[{**g, "window_s": 0.5} for g in section["guards"]],
    )
    section["ledger"][0].update(created_at=step + 0.01, closed_at=step + 20.15)
    doc.update(status="completed", end=iso(step + 21.0), duration=41.0)
    return doc
