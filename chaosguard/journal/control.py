"""A Chaos Toolkit control that publishes the journal of experiments run without chaosguard's guard.

Wire it per experiment::

    controls:
      - name: chaosguard-publish
        provider: {type: python, module: chaosguard.journal.control}

or for every experiment in ``~/.chaostoolkit/settings.yaml`` (next to the
``chaosguard: {publishers: …}`` block it reads)::

    controls:
      chaosguard-publish:
        provider: {type: python, module: chaosguard.journal.control}

When the guard is active in the process it publishes the journal itself at the end of its own
after-experiment hook, so this control then does nothing (the journal is never published twice).

From the start of the run it also redacts Chaos Toolkit's log (console and ``--log-file``): the
experiment's secrets and env-sourced configuration values never reach it in clear
(:func:`chaosguard.journal.logs.install_log_redaction`).
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["after_experiment_control", "configure_control"]

logger = logging.getLogger("chaostoolkit")


def _guard_active() -> bool:
    from chaosguard.journal.publish import guard_publishes

    return guard_publishes()


def configure_control(
    experiment: dict = None,
    configuration: dict = None,
    secrets: dict = None,
    settings: dict = None,
) -> None:
    """Redact Chaos Toolkit's log from now on; never raises."""
    try:
        from chaosguard.journal.logs import install_log_redaction

        install_log_redaction(experiment, secrets=secrets, configuration=configuration)
    except Exception:
        logger.exception("chaosguard: could not install log redaction")


def after_experiment_control(
    context: dict,
    state: dict = None,
    settings: dict = None,
    configuration: dict = None,
    secrets: dict = None,
    **kwargs: Any,
) -> None:
    """Publish ``state`` (the journal) to the configured publishers, then redact the journal Chaos
    Toolkit writes (secrets, env-sourced values); never raises."""
    if state is None or _guard_active():
        return
    try:
        from chaosguard.journal.publish import publish_journal
        from chaosguard.journal.redact import redact_in_place

        publish_journal(state, settings, secrets=secrets, configuration=configuration)
        redact_in_place(state, secrets=secrets, configuration=configuration)
    except Exception:
        logger.exception("chaosguard: publishing the journal failed")
