"""A game day's metrics to the Pushgateways the run's publishers name.

The same publishers configuration as every run's journal (``chaosguard.publishers`` in the Chaos
Toolkit settings file, plus ``$CHAOSGUARD_PUBLISHERS``): each ``pushgateway`` publisher also gets
the suite's group ``job=<job>, suite=<name>`` with its resilience score, verdict and outcome counts
(:func:`chaosguard.journal.publishers.pushgateway.suite_exposition`). A push that fails is a
warning of the suite, never a change of its verdict (publishing never changes an outcome).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chaosguard.gameday.results import SuiteResult

__all__ = ["push_suite_metrics", "settings_of"]

logger = logging.getLogger("chaosguard")


def settings_of(env: Mapping[str, str]) -> dict[str, Any]:
    """The Chaos Toolkit settings the suite's ``chaos run`` processes read (their default file
    under ``$HOME``); ``{}`` when there is none."""
    from chaoslib.settings import load_settings

    home = env.get("HOME") or os.path.expanduser("~")
    path = Path(home) / ".chaostoolkit" / "settings.yaml"
    if not path.is_file():
        return {}
    return load_settings(str(path)) or {}


def push_suite_metrics(result: SuiteResult, env: Mapping[str, str] | None = None) -> list[str]:
    """Push the suite's metrics to every configured Pushgateway; return the group URLs pushed.

    Problems (a bad configuration, a gateway that refuses) are appended to ``result.warnings``.
    """
    from chaosguard.errors import ChaosGuardError
    from chaosguard.journal.config import PushgatewayPublisher, load_config
    from chaosguard.journal.publishers.pushgateway import push_suite

    env = dict(os.environ if env is None else env)
    try:
        config = load_config(settings_of(env), env)
    except ChaosGuardError as exc:
        result.warnings.append(f"suite metrics not pushed: {exc}")
        return []
    if config is None:
        return []
    summary = {**result.as_dict(), "ended_at_epoch": result.ended_at}
    pushed: list[str] = []
    for spec in config.publishers:
        if not isinstance(spec, PushgatewayPublisher):
            continue
        try:
            pushed.append(push_suite(spec, summary, env))
        except Exception as exc:
            logger.debug("gameday: pushing suite metrics failed", exc_info=True)
            result.warnings.append(f"suite metrics not pushed to {spec.url}: {exc}")
    return pushed
