"""Actions of the local latency fault: start a TCP proxy that disturbs traffic, change its toxic,
undo the change, stop it.

A proxy is known by its ``name``: first among this run's open ``latency-proxy`` records, then among
those of other live runs on this machine (a harness may start the proxy before ``chaos run``).
Every change goes through the fault contract, recorded in the ledger before the proxy changes:
changing the toxic of this run's proxy is a ``change`` of its record; changing the toxic of another
run's proxy opens (or changes) a ``latency-toxic`` record in this run, whose revert restores the
toxic the proxy had before. Every argument is checked before anything is recorded or started; a bad
one raises :class:`~chaosguard.errors.InvalidArgument` naming it. ``remove_latency``,
``stop_latency_proxy`` and ``revert_latency_proxy`` are safe as rollbacks: idempotent and harmless
when nothing of this run is left to undo.

``start_latency_proxy`` and ``set_latency`` pass the operator's policy right before they change
anything (:func:`chaosguard.policy.gate.admit`: kill switch, windows, freezes, ``allow_unguarded``),
with or without the guard control. A proxy listens on loopback unless the policy says
``local.allow_non_loopback_listen: true``, and serves at most ``local.max_proxy_connections``
connections at once (default 512; more are closed at once).
"""

# No ``from __future__ import annotations``: Chaos Toolkit's discovery reads real annotation types.
from typing import Any

from chaosguard import faults
from chaosguard.actions._args import check_types, checked_by
from chaosguard.errors import InvalidArgument
from chaosguard.faults.latency.kind import control_of
from chaosguard.faults.latency.spec import (
    MAX_PROCESSES,
    NO_TOXIC,
    Spec,
    Toxic,
    ToxicChange,
    check_listen,
    split_address,
)
from chaosguard.ledger.store import FaultRecord
from chaosguard.policy.gate import admit, admit_listen
from chaosguard.validation import fields_of, parse

__all__ = [
    "remove_latency",
    "revert_latency_proxy",
    "set_latency",
    "start_latency_proxy",
    "stop_latency_proxy",
]

PROXY = "latency-proxy"
TOXIC = "latency-toxic"


def _find(name: str) -> tuple[FaultRecord, bool] | None:
    """The running proxy ``name`` and whether it is this run's (else another live run's)."""
    if not isinstance(name, str):
        return None
    own = faults.find_open(PROXY, name=name)
    if own is not None:
        return own, True
    other = faults.find_live(PROXY, name=name)
    return (other, False) if other is not None else None


def _require(name: str) -> tuple[FaultRecord, bool]:
    found = _find(name)
    if found is None:
        raise InvalidArgument("name", f"no latency proxy named {name!r} is running")
    return found


def _summary(proxy: FaultRecord, change: FaultRecord | None = None) -> dict[str, Any]:
    evidence = change or proxy
    out = {
        "name": proxy.spec["name"],
        "listen": proxy.handles.get("listen", proxy.spec["listen"]),
        "upstream": proxy.spec["upstream"],
        "toxic": evidence.handles.get("toxic", evidence.spec.get("toxic")),
        "record": proxy.id,
    }
    if change is not None:
        out["change_record"] = change.id
    return out


def _toxic(values: dict[str, Any]) -> Toxic:
    return parse(Toxic, **fields_of(Toxic, values))


def _proxy_spec(values: dict[str, Any]) -> Spec:
    wanted = {k: values[k] for k in ("name", "listen", "upstream")}
    processes = values.get("processes") or 0
    if isinstance(processes, int) and not 0 <= processes <= MAX_PROCESSES:
        raise InvalidArgument(
            "processes",
            f"use 0 (the default: two per CPU, at most 4) or 1 to {MAX_PROCESSES} "
            f"(got {processes})",
        )
    if processes:
        wanted["processes"] = processes
    return parse(Spec, **wanted, toxic=_toxic(values))


def _toxic_now(proxy: FaultRecord) -> Toxic:
    """The toxic another run's proxy has now (observed through its kind)."""
    seen = faults.observe(proxy)
    if not isinstance(seen, dict) or "toxic" not in seen:
        state = "does not answer on its control socket" if seen else "is no longer running"
        raise InvalidArgument(
            "name", f"latency proxy {proxy.spec['name']!r} of run {proxy.run_id} {state}"
        )
    return Toxic.model_validate(seen["toxic"])


@checked_by(_proxy_spec)
def start_latency_proxy(
    name: str,
    listen: str,
    upstream: str,
    latency_ms: float = 0.0,
    jitter_ms: float = 0.0,
    direction: str = "both",
    bandwidth_kbps: int = 0,
    reset_probability: float = 0.0,
    processes: int = 0,
    configuration: dict = None,
    secrets: dict = None,
) -> dict:
    """Start a TCP proxy from ``listen`` to ``upstream`` that disturbs the traffic it forwards.

    Point the client under test at ``listen``. The proxy runs in its own process, recorded in the
    chaosguard ledger, and stops by itself when the experiment runner dies.

    :param name: the proxy's name (1-64 letters, digits, ``.``, ``_``, ``-``), unique among running
        proxies; later actions find the proxy by it.
    :param listen: ``host:port`` to accept clients on, e.g. ``127.0.0.1:9000``; port ``0`` picks a
        free port (the returned ``listen`` tells which). Must be free and local, and loopback
        (127.0.0.0/8, ``::1``, ``localhost``) unless the policy says
        ``local.allow_non_loopback_listen: true``.
    :param upstream: ``host:port`` of the real service; something must answer there now.
    :param latency_ms: delay added to each chunk of data, in milliseconds (0 to 60000), counted from
        the chunk's arrival at the proxy.
    :param jitter_ms: random spread around ``latency_ms``, uniform in ``[-jitter, +jitter]`` (0 to
        10000 ms; the total never goes below 0). The order of the bytes is always kept.
    :param direction: which stream is delayed and capped: ``upstream`` (client to service),
        ``downstream`` (service to client) or ``both``. With ``both``, a request/response round trip
        gains about twice ``latency_ms``.
    :param bandwidth_kbps: cap on each connection's throughput in the delayed direction(s), in
        KiB/s; 0 means no cap.
    :param reset_probability: chance (0 to 1) that a new connection is answered with a TCP reset.
    :param processes: how many processes serve the proxy (1 to 16), all on ``listen``; each new
        connection goes to one of them. ``0`` (the default): two per CPU, at most 4, which keeps
        the added delay precise with hundreds of busy connections.
    :param configuration: Chaos Toolkit configuration (unused).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``{"name", "listen", "upstream", "toxic", "record"}``, where ``record`` is the id
        of the ledger record.
    """
    check_types(start_latency_proxy, locals())
    spec = _proxy_spec(locals())
    existing = _find(spec.name)
    if existing is not None:
        record, own = existing
        where = "in this run" if own else f"in run {record.run_id}"
        raise InvalidArgument("name", f"a latency proxy named '{spec.name}' already runs {where}")
    policy = admit(f"{__name__}:start_latency_proxy", {})
    check_listen(spec.listen)  # free and an address of this machine, before the policy's view
    admit_listen(policy, split_address(spec.listen, allow_port_zero=True)[0], spec.listen)
    cap = policy.local.max_proxy_connections
    spec = parse(Spec, **{**spec.model_dump(), "max_connections": cap})
    return _summary(faults.inject(PROXY, spec))  # validate: listen free, upstream answering


@checked_by(_toxic)
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
    take their defaults. The change is recorded in the ledger before the proxy gets it; on a proxy
    of another run it is a ``latency-toxic`` fault of this run, whose revert restores the toxic the
    proxy had before this run's first change.

    :param name: the name given to ``start_latency_proxy``.
    :param latency_ms: new delay per chunk, in milliseconds (0 to 60000).
    :param jitter_ms: new random spread around ``latency_ms``, in milliseconds (0 to 10000).
    :param direction: ``upstream``, ``downstream`` or ``both`` (see ``start_latency_proxy``).
    :param bandwidth_kbps: new per-connection cap in KiB/s; 0 means no cap.
    :param reset_probability: new chance (0 to 1) that a new connection is reset.
    :param configuration: Chaos Toolkit configuration (unused).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``{"name", "listen", "upstream", "toxic", "record"}`` with the toxic now in force
        (plus ``change_record`` when the proxy belongs to another run).
    """
    check_types(set_latency, locals())
    toxic = _toxic(locals())
    proxy, own = _require(name)
    admit(f"{__name__}:set_latency", {})
    if own:
        return _summary(faults.change(proxy, Spec(**{**proxy.spec, "toxic": toxic})))
    mine = faults.find_open(TOXIC, proxy_record=proxy.id)
    if mine is not None:
        return _summary(proxy, faults.change(mine, ToxicChange(**{**mine.spec, "toxic": toxic})))
    spec = ToxicChange(
        proxy=proxy.spec["name"],
        proxy_record=proxy.id,
        control=str(control_of(proxy)),
        toxic=toxic,
        restore=_toxic_now(proxy),
    )
    return _summary(proxy, faults.inject(TOXIC, spec))


def remove_latency(name: str, configuration: dict = None, secrets: dict = None) -> dict:
    """Undo this run's toxic on the running proxy ``name``; usable as a rollback of ``set_latency``.

    This run's own proxy keeps forwarding with no toxic (a ``change`` of its record). A proxy of
    another run gets back the toxic it had before this run's first change (this run's
    ``latency-toxic`` record is reverted and closed); when this run never changed it, nothing is
    done. A name that does not run is an error.

    :param name: the name given to ``start_latency_proxy``.
    :param configuration: Chaos Toolkit configuration (unused).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``{"name", "listen", "upstream", "toxic", "record"}`` with the toxic now in force
        (plus ``change_record`` when this run's change of another run's proxy was reverted).
    """
    check_types(remove_latency, locals())
    proxy, own = _require(name)
    if own:
        return _summary(faults.change(proxy, Spec(**{**proxy.spec, "toxic": NO_TOXIC})))
    mine = faults.find_open(TOXIC, proxy_record=proxy.id)
    if mine is None:  # nothing of ours on that proxy: nothing to undo
        return {**_summary(proxy), "toxic": _toxic_now(proxy).model_dump(mode="json")}
    closed = faults.revert(mine)
    return {**_summary(proxy, closed), "toxic": closed.spec["restore"]}


def stop_latency_proxy(name: str, configuration: dict = None, secrets: dict = None) -> dict:
    """Stop this run's proxy ``name`` and close its ledger record. Harmless when it does not run.

    Clients connected through it lose their connections; its listen port closes. A proxy started by
    another run is left alone (outcome ``not-owned``).

    :param name: the name given to ``start_latency_proxy``.
    :param configuration: Chaos Toolkit configuration (unused).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``{"name", "outcome"}``; outcome is ``reverted``, ``vanished`` (its process was
        already gone), ``not-running`` or ``not-owned``.
    """
    check_types(stop_latency_proxy, locals())
    found = _find(name)
    if found is None:
        return {"name": name, "outcome": "not-running"}
    proxy, own = found
    if not own:
        return {"name": name, "outcome": "not-owned", "record": proxy.id}
    closed = faults.revert(proxy)
    return {"name": name, "outcome": closed.outcome, "record": closed.id}


def revert_latency_proxy(name: str = "", configuration: dict = None, secrets: dict = None) -> dict:
    """Rollback: undo what this run did with latency proxies — of ``name``, or all when empty.

    Stops the proxies this run started, and restores the previous toxic of proxies of other runs
    whose toxic this run changed. Idempotent and harmless when nothing runs.

    :param name: the name given to ``start_latency_proxy``; empty (the default) means all of them.
    :param configuration: Chaos Toolkit configuration (unused).
    :param secrets: Chaos Toolkit secrets (unused).
    :returns: ``{"reverted": [{"name", "kind", "outcome", "record"}, ...]}``, empty when
        nothing ran.
    """
    check_types(revert_latency_proxy, locals())
    done = []
    for record in faults.open_records():
        if record.kind not in (PROXY, TOXIC):
            continue
        proxy_name = record.spec.get("name") if record.kind == PROXY else record.spec.get("proxy")
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
