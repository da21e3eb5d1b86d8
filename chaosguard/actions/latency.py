"""Actions of the local latency fault: start a fault-injecting TCP proxy, change or remove its toxic, stop it.

A proxy is known by its ``name``: first among this run's open ``latency-proxy`` records, then among
those of other live runs on this machine (a harness may start the proxy before ``chaos run``). Changing
the toxic of this run's proxy appends an ``update`` to its record; changing the toxic of another run's
proxy opens (or updates) a ``latency-toxic`` record in this run, whose revert restores the toxic the
proxy had before. Every argument is checked before anything is recorded or started; a bad one raises
:class:`~chaosguard.errors.InvalidArgument` naming it. ``stop_latency_proxy`` and
``revert_latency_proxy`` are safe as rollbacks: idempotent and harmless when nothing runs.
"""

# No ``from __future__ import annotations`` here: Chaos Toolkit's discovery reads real annotation types.
from typing import Any

from chaosguard import faults
from chaosguard.errors import InvalidArgument
from chaosguard.faults.latency import kind as proxy_kind
from chaosguard.faults.latency.lookup import (
    PROXY_KIND,
    TOXIC_KIND,
    Found,
    find_proxy,
    require_proxy,
    toxic_record,
)
from chaosguard.faults.latency.spec import Spec, Toxic, preflight
from chaosguard.faults.latency.toxic_kind import ToxicChange
from chaosguard.faults.runs import run_ledger
from chaosguard.ledger.store import FaultRecord
from chaosguard.validation import parse

__all__ = [
    "remove_latency",
    "revert_latency_proxy",
    "set_latency",
    "start_latency_proxy",
    "stop_latency_proxy",
]


def _summary(proxy: FaultRecord, change: FaultRecord | None = None) -> dict[str, Any]:
    evidence = change or proxy
    out = {
        "name": proxy.spec["name"],
        "listen": proxy.handles.get("listen", proxy.spec["listen"]),
        "upstream": proxy.spec["upstream"],
        "toxic": evidence.handles.get("toxic", proxy.spec.get("toxic")),
        "record": proxy.id,
    }
    if change is not None:
        out["change_record"] = change.id
    return out


def _toxic(
    latency_ms: float,
    jitter_ms: float,
    direction: str,
    bandwidth_kbps: int,
    reset_probability: float,
) -> Toxic:
    return parse(
        Toxic,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        direction=direction,
        bandwidth_kbps=bandwidth_kbps,
        reset_probability=reset_probability,
    )


def start_latency_proxy(
    name: str,
    listen: str,
    upstream: str,
    latency_ms: float = 0.0,
    jitter_ms: float = 0.0,
    direction: str = "both",
    bandwidth_kbps: int = 0,
    reset_probability: float = 0.0,
    configuration: dict = None,
    secrets: dict = None,
) -> dict:
    """Start a TCP proxy from ``listen`` to ``upstream`` that disturbs the traffic it forwards.

    Point the client under test at ``listen``. The proxy runs in its own process, recorded in the
    chaosguard ledger, and stops by itself when the experiment runner dies.

    :param name: the proxy's name (1-64 letters, digits, ``.``, ``_``, ``-``), unique among running
        proxies; later actions find the proxy by it.
    :param listen: ``host:port`` to accept clients on, e.g. ``127.0.0.1:9000``; port ``0`` picks a
        free port (the returned ``listen`` tells which). Must be free and local.
    :param upstream: ``host:port`` of the real service; something must answer there now.
    :param latency_ms: delay added to each chunk of data, in milliseconds (0 to 60000), counted from
        the chunk's arrival at the proxy.
    :param jitter_ms: random spread around ``latency_ms``, uniform in ``[-jitter, +jitter]`` (0 to
        10000 ms; the total never goes below 0). The order of the bytes is always kept.
    :param direction: which stream is delayed and capped: ``upstream`` (client to service),
        ``downstream`` (service to client) or ``both``. With ``both``, a request/response round trip
        gains about twice ``latency_ms``.
    :param bandwidth_kbps: cap on each connection's throughput in the delayed direction(s), in KiB/s;
        0 means no cap.
    :param reset_probability: chance (0 to 1) that a new connection is answered with a TCP reset.
    :param configuration: Chaos Toolkit configuration (unused).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``{"name", "listen", "upstream", "toxic", "record"}``; ``record`` is the ledger record id.
    """
    toxic = _toxic(latency_ms, jitter_ms, direction, bandwidth_kbps, reset_probability)
    spec = parse(Spec, name=name, listen=listen, upstream=upstream, toxic=toxic)
    existing = find_proxy(spec.name)
    if existing is not None:
        where = "in this run" if existing.own else f"in run {existing.record.run_id}"
        raise InvalidArgument("name", f"a latency proxy named '{spec.name}' already runs {where}")
    preflight(spec)
    return _summary(faults.inject(PROXY_KIND, spec))


def set_latency(
    name: str,
    latency_ms: float = 0.0,
    jitter_ms: float = 0.0,
    direction: str = "both",
    bandwidth_kbps: int = 0,
    reset_probability: float = 0.0,
    configuration: dict = None,
    secrets: dict = None,
) -> dict:
    """Replace the toxic of the running proxy ``name``, keeping its connections open.

    Use it for escalation steps. Data already held back keeps its delay; data arriving from now on,
    on existing connections too, gets the new one. The whole toxic is replaced: arguments left out
    take their defaults. The change is recorded in the ledger.

    :param name: the name given to ``start_latency_proxy``.
    :param latency_ms: new delay per chunk, in milliseconds (0 to 60000).
    :param jitter_ms: new random spread around ``latency_ms``, in milliseconds (0 to 10000).
    :param direction: ``upstream``, ``downstream`` or ``both`` (see ``start_latency_proxy``).
    :param bandwidth_kbps: new per-connection cap in KiB/s; 0 means no cap.
    :param reset_probability: new chance (0 to 1) that a new connection is reset.
    :param configuration: Chaos Toolkit configuration (unused).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``{"name", "listen", "upstream", "toxic", "record"}`` with the toxic now in force (plus
        ``change_record`` when the proxy belongs to another run).
    """
    toxic = _toxic(latency_ms, jitter_ms, direction, bandwidth_kbps, reset_probability)
    return _apply(require_proxy(name), toxic, removing=False)


def remove_latency(name: str, configuration: dict = None, secrets: dict = None) -> dict:
    """Remove the toxic of the running proxy ``name``: it keeps forwarding, undisturbed.

    Usable as a rollback of ``set_latency``. A name that does not run is an error.

    :param name: the name given to ``start_latency_proxy``.
    :param configuration: Chaos Toolkit configuration (unused).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``{"name", "listen", "upstream", "toxic", "record"}`` with an all-zero toxic.
    """
    return _apply(require_proxy(name), Toxic(), removing=True)


def _apply(found: Found, toxic: Toxic, removing: bool) -> dict:
    run = run_ledger()
    proxy = found.record
    if found.own:
        return _summary(run.update(proxy, proxy_kind.set_toxic(proxy, toxic)))
    change = toxic_record(proxy)
    if change is None:
        if removing:  # nothing of ours to undo: just clear it, no new fault to record
            proxy_kind.set_toxic(proxy, toxic)
            return {**_summary(proxy), "toxic": toxic.model_dump(mode="json")}
        before = Toxic.model_validate(proxy_kind.status(proxy)["toxic"])
        spec = ToxicChange(
            proxy=proxy.spec["name"],
            proxy_record=proxy.id,
            control=str(proxy_kind.control_of(proxy)),
            toxic=toxic,
            restore=before,
        )
        return _summary(proxy, faults.inject(TOXIC_KIND, spec))
    change = run.update(change, proxy_kind.set_toxic(proxy, toxic))
    if removing:
        change = run.close(change, "removed")
    return _summary(proxy, change)


def stop_latency_proxy(name: str, configuration: dict = None, secrets: dict = None) -> dict:
    """Stop this run's proxy ``name`` and close its ledger record. Harmless when it does not run.

    Clients connected through it lose their connections; its listen port closes. A proxy started by
    another run is left alone (outcome ``not-owned``).

    :param name: the name given to ``start_latency_proxy``.
    :param configuration: Chaos Toolkit configuration (unused).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``{"name", "outcome"}``; outcome is ``reverted``, ``vanished`` (its process was already
        gone), ``not-running`` or ``not-owned``.
    """
    found = find_proxy(name) if isinstance(name, str) else None
    if found is None:
        return {"name": name, "outcome": "not-running"}
    if not found.own:
        return {"name": name, "outcome": "not-owned", "record": found.record.id}
    closed = faults.revert(found.record)
    return {"name": name, "outcome": closed.outcome, "record": closed.id}


def revert_latency_proxy(name: str = "", configuration: dict = None, secrets: dict = None) -> dict:
    """Rollback: undo what this run did with latency proxies — of ``name``, or all when empty.

    Stops the proxies this run started, and restores the previous toxic of proxies of other runs
    whose toxic this run changed. Idempotent and harmless when nothing runs.

    :param name: the name given to ``start_latency_proxy``; empty (the default) means all of them.
    :param configuration: Chaos Toolkit configuration (unused).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``{"reverted": [{"name", "kind", "outcome", "record"}, ...]}`` (empty when nothing ran).
    """
    done = []
    for record in faults.open_records():
        if record.kind not in (PROXY_KIND, TOXIC_KIND):
            continue
        proxy_name = (
            record.spec.get("name") if record.kind == PROXY_KIND else record.spec.get("proxy")
        )
        if name and proxy_name != name:
            continue
        closed = faults.revert(record)
        done.append(
            {
                "name": proxy_name,
                "kind": record.kind,
                "outcome": closed.outcome,
                "record": closed.id,
            }
        )
    return {"reverted": done}
