"""Start and stop background HTTP samplers: steady light traffic that probes and guards read.

A sampler changes nothing in the target beyond the requests it sends, so it needs no ledger record;
it lives in the runner process and stops with it.
"""

from typing import Any

from chaosguard.actions._args import check_types, checked_by
from chaosguard.errors import InvalidArgument
from chaosguard.slo.http.sampler import start_sampler, stop_sampler
from chaosguard.slo.http.target import HttpTarget
from chaosguard.validation import parse

__all__ = ["start_http_sampler", "stop_http_sampler"]


def _target(values: dict[str, Any]) -> HttpTarget:
    """The sampler's target, once its name, rate and concurrency are known to be sane."""
    if not values["name"].strip():
        raise InvalidArgument("name", "must not be empty")
    rate, concurrency = values["rate_per_s"], values["concurrency"]
    if not 0.1 <= rate <= 1000:
        raise InvalidArgument("rate_per_s", f"must be between 0.1 and 1000 (got {rate})")
    if not 1 <= concurrency <= 64:
        raise InvalidArgument("concurrency", f"must be between 1 and 64 (got {concurrency})")
    wanted = {k: values[k] for k in ("url", "timeout_s", "max_ok_status")}
    return parse(HttpTarget, **wanted)


@checked_by(_target)
def start_http_sampler(
    name: str,
    url: str,
    rate_per_s: float = 20.0,
    concurrency: int = 4,
    timeout_s: float = 2.0,
    max_ok_status: int = 399,
    configuration: dict = None,
    secrets: dict = None,
) -> dict[str, Any]:
    """Request ``url`` ``rate_per_s`` times a second in the background, as sampler ``name``.

    :param name: how probes (``chaosguard.probes.http.sampled_*``) and guards refer to this sampler.
    :param url: http:// or https:// URL to request with GET.
    :param rate_per_s: requests per second (0.1–1000), spread evenly.
    :param concurrency: requests in flight at most (1–64); a slow target does not slow the schedule.
    :param timeout_s: per-request timeout in seconds (a timeout is an error and a slow sample).
    :param max_ok_status: highest status that is not an error (default 399).
    """
    check_types(start_http_sampler, locals())
    target = _target(locals())
    start_sampler(name, target, rate_per_s, concurrency)
    return {"name": name, "url": url, "rate_per_s": rate_per_s}


def stop_http_sampler(name: str, configuration: dict = None, secrets: dict = None) -> bool:
    """Stop sampler ``name``; false when it was not running (harmless, usable as a rollback).

    :param name: the sampler's name.
    """
    check_types(stop_http_sampler, locals())
    return stop_sampler(name)
