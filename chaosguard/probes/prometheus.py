"""Prometheus probes: a PromQL value, the error budget left and the burn rate, as plain numbers.

Each probe runs one instant query (explicit timeout, TLS verified) that must yield exactly one
finite sample; otherwise it fails with a one-line reason (no sample, several samples, NaN,
Prometheus error, unreachable). Tolerances check the number directly, e.g. ``burn_rate`` under 2 is
``tolerance: {type: range, range: [0, 2]}``.

Authentication: a bearer token from the experiment's secrets (key ``prometheus_bearer_token`` of a
secret scope listed in the provider's ``secrets``) or from the environment variable named by
``bearer_token_env``. The continuous, staleness-checked reading used by guards is
:class:`chaosguard.slo.prometheus.source.PrometheusSource`.
"""

# No ``from __future__ import annotations`` here: chaoslib discovery reads real annotation objects.

import os

from chaosguard.errors import InvalidArgument
from chaosguard.slo.base import SourceUnreadable
from chaosguard.slo.prometheus import budget as _budget
from chaosguard.slo.prometheus import client as _client
from chaosguard.slo.prometheus.validate import (
    check_objective,
    check_timeout,
    validate_query,
    validate_url,
)

__all__ = ["prometheus_value", "error_budget_remaining", "burn_rate"]

SECRET_KEY = "prometheus_bearer_token"


def _token(bearer_token_env: str, secrets: dict | None) -> str:
    if secrets is not None and not isinstance(secrets, dict):
        raise InvalidArgument("secrets", "must be a mapping")
    token = (secrets or {}).get(SECRET_KEY)
    if token:
        if not isinstance(token, str):
            raise InvalidArgument("secrets", f"{SECRET_KEY} must be a string")
        return token
    if not isinstance(bearer_token_env, str):
        raise InvalidArgument(
            "bearer_token_env", f"must be an environment variable name (got {bearer_token_env!r})"
        )
    if not bearer_token_env:
        return ""
    value = os.environ.get(bearer_token_env, "")
    if not value:
        raise InvalidArgument(
            "bearer_token_env", f"environment variable {bearer_token_env} is not set or empty"
        )
    return value


def _value(
    url: str,
    query: str,
    timeout_s: float,
    bearer_token_env: str,
    secrets: dict | None,
    query_field: str,
) -> float:
    base = validate_url(url)
    text = validate_query(query, query_field)
    budget = check_timeout(timeout_s)
    token = _token(bearer_token_env, secrets)
    return _client.query_value(base, text, budget, bearer_token=token or None)


def _ratio(
    url: str, query: str, timeout_s: float, bearer_token_env: str, secrets: dict | None
) -> float:
    ratio = _value(url, query, timeout_s, bearer_token_env, secrets, "error_ratio_query")
    if ratio < 0:
        raise SourceUnreadable(
            f"error_ratio_query returned {ratio:g}; an error ratio is >= 0 (is it errors / total?)"
        )
    return ratio


def prometheus_value(
    url: str,
    query: str,
    timeout_s: float = 5.0,
    bearer_token_env: str = "",
    configuration: dict = None,
    secrets: dict = None,
) -> float:
    """The value of a PromQL instant query that yields exactly one sample (or a scalar).

    :param url: Prometheus base URL, e.g. http://127.0.0.1:9090 (a path prefix is kept).
    :param query: PromQL expression yielding one sample, e.g. sum(rate(http_requests_total[5m])).
    :param timeout_s: the whole request must finish within this many seconds (> 0).
    :param bearer_token_env: name of an environment variable holding a bearer token (optional).
    """
    return _value(url, query, timeout_s, bearer_token_env, secrets, "query")


def error_budget_remaining(
    url: str,
    error_ratio_query: str,
    objective: float = 0.999,
    timeout_s: float = 5.0,
    bearer_token_env: str = "",
    configuration: dict = None,
    secrets: dict = None,
) -> float:
    """Fraction of the error budget left: 1 - ratio / (1 - objective); negative when overspent.

    :param url: Prometheus base URL, e.g. http://127.0.0.1:9090.
    :param error_ratio_query: PromQL for the error ratio over the whole SLO period (our platform:
        30d), e.g. sum(rate(http_requests_total{code=~"5.."}[30d])) /
        sum(rate(http_requests_total[30d])).
    :param objective: the availability objective in (0, 1); 0.999 is 99.9 %.
    :param timeout_s: the whole request must finish within this many seconds (> 0).
    :param bearer_token_env: name of an environment variable holding a bearer token (optional).
    """
    obj = check_objective(objective)
    return _budget.error_budget_remaining(
        _ratio(url, error_ratio_query, timeout_s, bearer_token_env, secrets), obj
    )


def burn_rate(
    url: str,
    error_ratio_query: str,
    objective: float = 0.999,
    timeout_s: float = 5.0,
    bearer_token_env: str = "",
    configuration: dict = None,
    secrets: dict = None,
) -> float:
    """How fast the error budget burns: ratio / (1 - objective); 1 spends the budget in the period.

    :param url: Prometheus base URL, e.g. http://127.0.0.1:9090.
    :param error_ratio_query: PromQL for the error ratio over the burn-rate window (e.g. 1h or 5m),
        e.g. sum(rate(http_requests_total{code=~"5.."}[1h])) / sum(rate(http_requests_total[1h])).
    :param objective: the availability objective in (0, 1); 0.999 is 99.9 %.
    :param timeout_s: the whole request must finish within this many seconds (> 0).
    :param bearer_token_env: name of an environment variable holding a bearer token (optional).
    """
    obj = check_objective(objective)
    return _budget.burn_rate(
        _ratio(url, error_ratio_query, timeout_s, bearer_token_env, secrets), obj
    )
