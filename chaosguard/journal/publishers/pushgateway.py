"""Prometheus Pushgateway: the run's metrics, PUT to the group
``job=<job>, experiment=<slug>[, grouping…]``.

PUT replaces the whole group, so the gateway always holds the *last* run of each experiment:

==========================================  =====  =================================================
metric                                      type   meaning
==========================================  =====  =================================================
chaos_experiment_status{outcome}            gauge  1 for the run's outcome, 0 for each other outcome
chaos_experiment_duration_seconds           gauge  run duration
chaos_experiment_start_timestamp_seconds    gauge  run start (epoch)
chaos_experiment_end_timestamp_seconds      gauge  run end (epoch): how old the group's run is
chaos_experiment_deviated                   gauge  1 when the hypothesis deviated
chaos_experiment_aborted                    gauge  1 when a guard aborted the run
chaos_experiment_info{title,policy_digest}  gauge  always 1; labels describe the run
chaos_guard_breach{guard}                   gauge  1 for the guard that breached, 0 for the others
chaos_guard_breach_value{guard}             gauge  the value that breached the objective
chaos_guard_last_value{guard}               gauge  the guard's last readable value
chaos_guard_objective{guard,bound}          gauge  the guard's objective (bound "max" or "min")
chaos_fault_revert_latency_seconds          gauge  breach observed → faults reverted (aborted runs)
chaos_faults_injected{kind}                 gauge  fault ledger records of the run, by kind
chaos_faults_left_open                      gauge  records not closed when the journal was written
chaos_fault_oldest_open_timestamp_seconds   gauge  opening (epoch) of the oldest record left open
chaos_kill_switch_engaged                   gauge  1 when the kill switch refused or aborted the run
chaos_canary_score                          gauge  canary analysis score 0-100 (when it was judged)
==========================================  =====  =================================================

These are gauges of the last run (the gateway keeps one push per group, plus
``push_time_seconds``), not counters across runs: alert on
``chaos_experiment_status{outcome!="met"} == 1`` or ``chaos_faults_left_open > 0``; count runs from
the archived journals. A game day pushes its own group (:func:`suite_exposition`). Rules
and a dashboard on these names: ``deploy/prometheus``, ``deploy/grafana`` (docs/observability.md).
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from chaosguard.journal.config import PushgatewayPublisher
from chaosguard.journal.facts import RunFacts, as_dict, as_list
from chaosguard.journal.publishers import PublishContext
from chaosguard.journal.publishers._http import send
from chaosguard.journal.urls import redact_url
from chaosguard.outcomes import OUTCOMES

__all__ = ["publish", "exposition", "group_path", "suite_exposition", "push_suite"]

#: The kill switch's guard name (:mod:`chaosguard.guard.killswitch`) and the refusal's words
#: (:mod:`chaosguard.policy.gate`).
_KILL_SWITCH_GUARD = "kill-switch"
_KILL_SWITCH_REFUSAL = "kill switch is on"


def _segment(label: str, value: str) -> str:
    if not value or "/" in value:
        encoded = base64.urlsafe_b64encode(value.encode()).decode() or "="
        return f"{label}@base64/{encoded}"
    return f"{label}/{quote(value, safe='')}"


def group_path(job: str, grouping: dict[str, str]) -> str:
    """``/metrics/job/<job>/<label>/<value>…`` with the Pushgateway's base64 form where needed."""
    parts = [_segment("job", job)] + [_segment(k, v) for k, v in grouping.items()]
    return "/metrics/" + "/".join(parts)


def _last_values(readings: list[Any]) -> dict[str, float]:
    last: dict[str, float] = {}
    for r in readings:
        if isinstance(r, dict) and isinstance(r.get("value"), int | float) and r.get("guard"):
            last[str(r["guard"])] = float(r["value"])
    return last


def exposition(journal: dict[str, Any], facts: RunFacts) -> bytes:
    """The run's metrics in the Prometheus text format."""
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    reg = CollectorRegistry()
    status = Gauge(
        "chaos_experiment_status",
        "1 for the run's outcome, 0 for the others",
        ["outcome"],
        registry=reg,
    )
    for outcome in dict.fromkeys((*OUTCOMES, facts.outcome)):
        status.labels(outcome).set(1 if outcome == facts.outcome else 0)
    if facts.duration_s is not None:
        Gauge("chaos_experiment_duration_seconds", "Run duration", registry=reg).set(
            facts.duration_s
        )
    if facts.start is not None:
        Gauge("chaos_experiment_start_timestamp_seconds", "Run start", registry=reg).set(
            facts.start
        )
    if facts.end is not None:
        Gauge("chaos_experiment_end_timestamp_seconds", "Run end", registry=reg).set(facts.end)
    Gauge("chaos_experiment_deviated", "1 when the hypothesis deviated", registry=reg).set(
        int(facts.deviated)
    )
    Gauge("chaos_experiment_aborted", "1 when a guard aborted the run", registry=reg).set(
        int(facts.outcome == "aborted")
    )
    Gauge(
        "chaos_experiment_info", "Run description", ["title", "policy_digest"], registry=reg
    ).labels(facts.title[:200], facts.policy_digest or "none").set(1)
    section = as_dict(journal.get("chaosguard"))
    breach = facts.breach or {}
    names = [str(g.get("name")) for g in facts.guards if g.get("name")]
    if breach.get("guard") and str(breach["guard"]) not in names:
        names.append(str(breach["guard"]))
    if names:
        hit = Gauge("chaos_guard_breach", "1 for the guard that breached", ["guard"], registry=reg)
        for name in names:
            hit.labels(name).set(1 if name == str(breach.get("guard")) else 0)
    if isinstance(breach.get("value"), int | float):
        Gauge("chaos_guard_breach_value", "Value that breached", ["guard"], registry=reg).labels(
            str(breach["guard"])
        ).set(breach["value"])
    last = _last_values(as_list(section.get("readings")))
    if last:
        gauge = Gauge(
            "chaos_guard_last_value", "Last readable value of the guard", ["guard"], registry=reg
        )
        for name, value in last.items():
            gauge.labels(name).set(value)
    objective = Gauge(
        "chaos_guard_objective", "Objective of the guard", ["guard", "bound"], registry=reg
    )
    for guard in facts.guards:
        for bound in ("max", "min"):
            if guard.get("name") and isinstance(guard.get(bound), int | float):
                objective.labels(str(guard["name"]), bound).set(guard[bound])
    if isinstance(breach.get("revert_latency_s"), int | float):
        Gauge(
            "chaos_fault_revert_latency_seconds", "Breach observed to faults reverted", registry=reg
        ).set(breach["revert_latency_s"])
    kinds: dict[str, int] = {}
    for window in facts.windows:
        kinds[window.kind] = kinds.get(window.kind, 0) + 1
    if facts.guarded:
        injected = Gauge(
            "chaos_faults_injected", "Fault ledger records by kind", ["kind"], registry=reg
        )
        for kind, count in kinds.items():
            injected.labels(kind).set(count)
        open_since = [w.created_at for w in facts.windows if w.closed_at is None]
        Gauge("chaos_faults_left_open", "Records not closed", registry=reg).set(len(open_since))
        if open_since:
            Gauge(
                "chaos_fault_oldest_open_timestamp_seconds",
                "Opening time of the oldest record left open",
                registry=reg,
            ).set(min(open_since))
        engaged = breach.get("guard") == _KILL_SWITCH_GUARD or _KILL_SWITCH_REFUSAL in str(
            facts.reason or ""
        )
        Gauge(
            "chaos_kill_switch_engaged", "1 when the kill switch refused or aborted", registry=reg
        ).set(int(engaged))
    canary = as_dict(section.get("canary"))
    if isinstance(canary.get("score"), int | float):
        Gauge("chaos_canary_score", "Canary analysis score (0-100)", registry=reg).set(
            canary["score"]
        )
    return bytes(generate_latest(reg))


def suite_exposition(summary: dict[str, Any]) -> bytes:
    """A game day's metrics (``summary`` is :meth:`SuiteResult.as_dict`'s plain form).

    ==========================================  =====  ============================================
    chaos_gameday_resilience_score              gauge  0-100 (absent when nothing was put to test)
    chaos_gameday_verdict{verdict}              gauge  1 for the suite's verdict, 0 for the others
    chaos_gameday_experiments{outcome}          gauge  experiments of the suite by outcome
    chaos_gameday_duration_seconds              gauge  suite duration
    chaos_gameday_end_timestamp_seconds         gauge  suite end (epoch)
    ==========================================  =====  ============================================
    """
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    reg = CollectorRegistry()
    if isinstance(summary.get("score"), int | float):
        Gauge("chaos_gameday_resilience_score", "Resilience score (0-100)", registry=reg).set(
            summary["score"]
        )
    verdicts = ("ok", "deviated", "aborted", "refused", "error")
    verdict = Gauge("chaos_gameday_verdict", "1 for the suite's verdict", ["verdict"], registry=reg)
    for name in dict.fromkeys((*verdicts, str(summary.get("verdict")))):
        verdict.labels(name).set(int(name == summary.get("verdict")))
    counts = Gauge("chaos_gameday_experiments", "Experiments by outcome", ["outcome"], registry=reg)
    for outcome in dict.fromkeys((*OUTCOMES, *as_dict(summary.get("counts")))):
        counts.labels(outcome).set(as_dict(summary.get("counts")).get(outcome, 0))
    if isinstance(summary.get("duration_s"), int | float):
        Gauge("chaos_gameday_duration_seconds", "Suite duration", registry=reg).set(
            summary["duration_s"]
        )
    if isinstance(summary.get("ended_at_epoch"), int | float):
        Gauge("chaos_gameday_end_timestamp_seconds", "Suite end", registry=reg).set(
            summary["ended_at_epoch"]
        )
    return bytes(generate_latest(reg))


def push_suite(spec: PushgatewayPublisher, summary: dict[str, Any], env: dict[str, str]) -> str:
    """PUT a game day's metrics to the group ``job=<job>, suite=<name>[, grouping…]``; return the
    (redacted) group URL. Raises :class:`~chaosguard.journal.publishers._http.PublishError`."""
    url = spec.url.rstrip("/") + group_path(
        spec.job, {**spec.grouping, "suite": str(summary.get("suite") or "suite")}
    )
    send(
        spec,
        "PUT",
        url,
        suite_exposition(summary),
        {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        env,
    )
    return redact_url(url)


def publish(spec: PushgatewayPublisher, ctx: PublishContext) -> str:
    """PUT the metrics of ``ctx.journal`` to the gateway; return the (redacted) group URL."""
    url = spec.url.rstrip("/") + group_path(
        spec.job, {"experiment": ctx.facts.slug, **spec.grouping}
    )
    send(
        spec,
        "PUT",
        url,
        exposition(ctx.journal, ctx.facts),
        {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        ctx.env,
    )
    return redact_url(url)
