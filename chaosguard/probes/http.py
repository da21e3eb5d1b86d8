"""HTTP probes: status, latency percentiles and error ratio, now or over a sampler window.

Each probe returns a plain number so a Chaos Toolkit tolerance can check it directly, e.g. a p95
under the 500 ms SLO is ``tolerance: {type: range, range: [0, 500]}`` and a 1 % error ratio ``range:
[0, 0.01]``. Every request has an explicit timeout; a timeout counts as an error *and* as a slow
request.
"""

from typing import Any

from chaoslib.exceptions import ActivityFailed

from chaosguard.errors import InvalidArgument
from chaosguard.slo.http.sampler import NoSamples, get_sampler
from chaosguard.slo.http.stats import Stats, summarize
from chaosguard.slo.http.stats import percentile as nearest_rank
from chaosguard.slo.http.target import HttpTarget, measure
from chaosguard.validation import parse

__all__ = [
    "http_status",
    "http_latency_percentile",
    "http_error_ratio",
    "http_measure",
    "sampled_latency_percentile",
    "sampled_error_ratio",
    "sampled_stats",
]


def _target(
    url: str,
    timeout_s: float,
    max_ok_status: int = 399,
    method: str = "GET",
    headers: dict | None = None,
    verify_tls: bool = True,
) -> HttpTarget:
    return parse(
        HttpTarget,
        url=url,
        timeout_s=timeout_s,
        max_ok_status=max_ok_status,
        method=method,
        headers=headers or {},
        verify_tls=verify_tls,
    )


def _check_counts(requests: int, concurrency: int) -> None:
    if not 1 <= requests <= 100_000:
        raise InvalidArgument("requests", f"must be between 1 and 100000 (got {requests})")
    if not 1 <= concurrency <= 256:
        raise InvalidArgument("concurrency", f"must be between 1 and 256 (got {concurrency})")


def _check_pct(pct: float) -> None:
    if not 0 < pct <= 100:
        raise InvalidArgument("percentile", f"must be in (0, 100] (got {pct})")


def http_status(
    url: str,
    method: str = "GET",
    timeout_s: float = 2.0,
    headers: dict = None,
    verify_tls: bool = True,
    configuration: dict = None,
    secrets: dict = None,
) -> int:
    """Status code of one request to ``url`` (0 when the connection failed or timed out).

    :param url: http:// or https:// URL.
    :param method: HTTP method (GET, HEAD, POST, ...).
    :param timeout_s: connect/read/write/pool timeout in seconds.
    :param headers: extra request headers.
    :param verify_tls: verify the server certificate (default true).
    """
    target = _target(url, timeout_s, method=method, headers=headers, verify_tls=verify_tls)
    return measure(target, 1, 1)[0].status


def http_measure(
    url: str,
    requests: int = 20,
    concurrency: int = 2,
    timeout_s: float = 2.0,
    max_ok_status: int = 399,
    configuration: dict = None,
    secrets: dict = None,
) -> dict[str, Any]:
    """Send ``requests`` GETs; return their figures (``requests``, ``errors``, ``p95_ms``, ...).

    Keys: ``requests, errors, error_ratio, p50_ms, p95_ms, p99_ms, max_ms``.

    :param url: http:// or https:// URL.
    :param requests: how many requests (1–100000).
    :param concurrency: requests in flight at once (1–256).
    :param timeout_s: per-request timeout in seconds.
    :param max_ok_status: highest status that is not an error (default 399).
    """
    _check_counts(requests, concurrency)
    return summarize(
        measure(_target(url, timeout_s, max_ok_status), requests, concurrency)
    ).as_dict()


def http_latency_percentile(
    url: str,
    percentile: float = 95.0,
    requests: int = 20,
    concurrency: int = 2,
    timeout_s: float = 2.0,
    configuration: dict = None,
    secrets: dict = None,
) -> float:
    """The ``percentile`` latency in milliseconds over ``requests`` GETs (timeouts count as slow).

    :param url: http:// or https:// URL.
    :param percentile: which percentile, in (0, 100] (95 → p95).
    :param requests: how many requests (1–100000).
    :param concurrency: requests in flight at once (1–256).
    :param timeout_s: per-request timeout in seconds.
    """
    _check_counts(requests, concurrency)
    _check_pct(percentile)
    samples = measure(_target(url, timeout_s), requests, concurrency)
    return round(nearest_rank([s.latency_ms for s in samples], percentile), 3)


def http_error_ratio(
    url: str,
    requests: int = 20,
    concurrency: int = 2,
    timeout_s: float = 2.0,
    max_ok_status: int = 399,
    configuration: dict = None,
    secrets: dict = None,
) -> float:
    """Fraction (0–1) of ``requests`` GETs that failed: transport error, timeout, status too high.

    :param url: http:// or https:// URL.
    :param requests: how many requests (1–100000).
    :param concurrency: requests in flight at once (1–256).
    :param timeout_s: per-request timeout in seconds.
    :param max_ok_status: highest status that is not an error (default 399).
    """
    _check_counts(requests, concurrency)
    return summarize(
        measure(_target(url, timeout_s, max_ok_status), requests, concurrency)
    ).error_ratio


def _window(name: str, window_s: float) -> Stats:
    if window_s <= 0:
        raise InvalidArgument("window_s", f"must be > 0 (got {window_s})")
    try:
        return get_sampler(name).stats(window_s)
    except KeyError as exc:
        raise InvalidArgument("name", exc.args[0]) from None
    except NoSamples as exc:
        raise ActivityFailed(str(exc)) from None


def sampled_latency_percentile(
    name: str,
    percentile: float = 95.0,
    window_s: float = 10.0,
    configuration: dict = None,
    secrets: dict = None,
) -> float:
    """Latency percentile (ms) of sampler ``name`` over its last ``window_s`` seconds.

    :param name: the sampler started by ``chaosguard.actions.sampler.start_http_sampler``.
    :param percentile: 50, 95, 99 or 100.
    :param window_s: how far back to look, in seconds.
    """
    if float(percentile) not in (50.0, 95.0, 99.0, 100.0):
        raise InvalidArgument("percentile", f"must be 50, 95, 99 or 100 (got {percentile})")
    return round(_window(name, window_s).percentile_ms(percentile), 3)


def sampled_error_ratio(
    name: str, window_s: float = 10.0, configuration: dict = None, secrets: dict = None
) -> float:
    """Error ratio (0–1) of sampler ``name`` over its last ``window_s`` seconds.

    :param name: the sampler started by ``chaosguard.actions.sampler.start_http_sampler``.
    :param window_s: how far back to look, in seconds.
    """
    return _window(name, window_s).error_ratio


def sampled_stats(
    name: str, window_s: float = 10.0, configuration: dict = None, secrets: dict = None
) -> dict[str, Any]:
    """Every figure of sampler ``name`` over its last ``window_s`` seconds (for the journal).

    :param name: the sampler started by ``chaosguard.actions.sampler.start_http_sampler``.
    :param window_s: how far back to look, in seconds.
    """
    return _window(name, window_s).as_dict()
