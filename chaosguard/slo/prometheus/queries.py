"""PromQL builders: error ratio, burn rate, error budget left, histogram quantile, and staleness.

The SLO builders turn series selectors into the instant queries a guard or probe reads (one sample
each, unless ``by`` asks for groups); their arguments are checked and a bad one raises
:class:`~chaosguard.errors.InvalidArgument` naming it. :func:`freshness_query_for` builds the query
:class:`~chaosguard.slo.prometheus.source.PrometheusSource` evaluates next to the value to learn how
    old the newest sample behind it is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from chaosguard.errors import InvalidArgument
from chaosguard.slo.prometheus.budget import DEFAULT_BUDGET_PERIOD, DEFAULT_OBJECTIVE
from chaosguard.slo.prometheus.scanner import PromQLScanError, selector_spans
from chaosguard.slo.prometheus.validate import check_objective, validate_query

__all__ = [
    "INPUT_LABEL",
    "rate_ratio_query",
    "burn_rate_query",
    "error_budget_remaining_query",
    "histogram_quantile_query",
    "freshness_query_for",
    "freshness_window",
]

INPUT_LABEL = "chaosguard_input"
"""Label of the freshness query's samples: the index of the selector each one is about."""

_DURATION = re.compile(r"^(?:[0-9]+(?:ms|[smhdwy]))+$")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_duration(window: object, field: str) -> str:
    if not isinstance(window, str) or not _DURATION.match(window):
        raise InvalidArgument(
            field, f"must be a PromQL duration such as 30s, 5m, 1h or 30d (got {window!r})"
        )
    return window


def _check_selector(selector: object, field: str) -> str:
    text = validate_query(selector, field)
    try:
        spans = selector_spans(text)
    except PromQLScanError as exc:
        raise InvalidArgument(field, f"not a series selector: {exc}") from None
    if spans != [(0, len(text))]:
        raise InvalidArgument(
            field,
            f"must be one series selector such as "
            f'http_requests_total{{code=~"5.."}} (got {text!r})',
        )
    return text


def _check_labels(by: Sequence[str], field: str = "by") -> str:
    for label in by:
        if not isinstance(label, str) or not _LABEL.fullmatch(label):
            raise InvalidArgument(field, f"must be label names (got {label!r})")
    return ", ".join(by)


def rate_ratio_query(
    numerator: str, denominator: str, window: str = "5m", by: Sequence[str] = ()
) -> str:
    """``sum(rate(numerator[window])) / sum(rate(denominator[window]))`` — e.g. an error ratio.

    ``by`` keeps those labels (one sample per group; a guard needs a single sample, so leave it
    empty there). NaN when there is no traffic in the window (0/0): a guard treats that as
    unreadable (fail closed).
    """
    return _rate_ratio(numerator, denominator, window, by, "window")


def _rate_ratio(
    numerator: str, denominator: str, window: str, by: Sequence[str], window_field: str
) -> str:
    num = _check_selector(numerator, "numerator")
    den = _check_selector(denominator, "denominator")
    w = _check_duration(window, window_field)
    agg = f"sum by ({_check_labels(by)}) " if by else "sum"
    return f"{agg}(rate({num}[{w}])) / {agg}(rate({den}[{w}]))"


def burn_rate_query(
    numerator: str, denominator: str, window: str = "1h", objective: float = DEFAULT_OBJECTIVE
) -> str:
    """Burn rate over ``window``: ``(error ratio) / (1 - objective)``; 1 spends just the budget."""
    budget = 1.0 - check_objective(objective)
    return f"({rate_ratio_query(numerator, denominator, window)}) / {budget:.12g}"


def error_budget_remaining_query(
    numerator: str,
    denominator: str,
    objective: float = DEFAULT_OBJECTIVE,
    period: str = DEFAULT_BUDGET_PERIOD,
) -> str:
    """Error budget left over ``period``: ``1 - (error ratio over period) / (1 - objective)``."""
    budget = 1.0 - check_objective(objective)
    return f"1 - ({_rate_ratio(numerator, denominator, period, (), 'period')}) / {budget:.12g}"


def histogram_quantile_query(
    bucket_selector: str, quantile: float = 0.95, window: str = "5m"
) -> str:
    """``histogram_quantile(q, sum by (le) (rate(<x>_bucket[window])))`` — e.g. a p95 in seconds."""
    sel = _check_selector(bucket_selector, "bucket_selector")
    if isinstance(quantile, bool) or not isinstance(quantile, int | float) or not 0 < quantile < 1:
        raise InvalidArgument("quantile", f"must be in (0, 1), e.g. 0.95 (got {quantile!r})")
    w = _check_duration(window, "window")
    return f"histogram_quantile({quantile:g}, sum by (le) (rate({sel}[{w}])))"


def freshness_window(max_staleness_s: float) -> tuple[int, int]:
    """Subquery range and resolution (seconds) for the freshness fallback.

    The range reaches well past ``max_staleness_s`` (so a stale input still shows its age); the
    resolution is 1 s — finer than any sane scrape interval, so even a short-lived series is seen —
    unless that would take more than 1800 steps per series (``max_staleness_s`` > 20 min).
    """
    window = math.ceil(1.5 * max_staleness_s) + 5
    resolution = max(1, math.ceil(window / 1800))
    return window, resolution


def freshness_query_for(selectors: Sequence[str], max_staleness_s: float) -> str:
    """PromQL giving, per selector ``i`` (label ``chaosguard_input="i"``), its newest sample's time.

    One term per selector ``S``, joined with ``or``::

        label_replace(max(timestamp(S)) or max(max_over_time(timestamp(S)[W:R])),
                      "chaosguard_input", "<i>", "__name__", ".*")

    ``timestamp(S)`` of a bare selector is the sample's own time (exact while the series is live);
    past the staleness markers Prometheus writes when a target goes down, the subquery over ``W`` =
    ``1.5 × max_staleness_s + 5 s`` still finds the last real sample (to within its resolution
    ``R``, rounding towards *older*, i.e. fail-safe), so the age keeps growing instead of the input
    vanishing. An instant query's own timestamp is the evaluation time, never the data's age: that
    is why this second query exists.
    """
    if not selectors:
        raise ValueError("no selectors")
    window, res = freshness_window(max_staleness_s)
    terms = [
        f"label_replace(max(timestamp({s})) or "
        f"max(max_over_time(timestamp({s})[{window}s:{res}s])), "
        f'"{INPUT_LABEL}", "{i}", "__name__", ".*")'
        for i, s in enumerate(selectors)
    ]
    return " or ".join(terms)
