"""Publish one journal to every configured publisher: redact once, directory first, bounded retries.

Order: every ``directory`` publisher first (one with root ``runs`` is added when none is
configured), then the others in the order given. Each publisher gets the same redacted copy. A
publisher that fails is retried with exponential backoff within its ``attempts`` and
``max_total_s`` budget, then reported (log line and :class:`PublishResult`); the others still run.
Nothing here raises: a control must not lose the run over publishing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chaosguard.errors import InvalidArgument
from chaosguard.journal._keys import configured

if TYPE_CHECKING:  # imported on use: a run with nothing to publish pays for none of it
    from chaosguard.journal.config import PublishersConfig
    from chaosguard.journal.publishers import PublishContext
    from chaosguard.journal.redact import Redactor

__all__ = ["PublishResult", "guard_publishes", "publish_journal", "set_guard_publishes"]

logger = logging.getLogger("chaostoolkit")

_guard_publishes = threading.Event()


def set_guard_publishes(on: bool) -> None:
    """Say that this process's guard publishes the journal itself (so the publish control stays
    out)."""
    if on:
        _guard_publishes.set()
    else:
        _guard_publishes.clear()


def guard_publishes() -> bool:
    """True while a guard session of this process will publish the journal."""
    return _guard_publishes.is_set()


@dataclass(frozen=True)
class PublishResult:
    """How one publisher did: ``target`` says where the journal went; ``error`` why it did not."""

    publisher: str
    type: str
    ok: bool
    attempts: int
    duration_s: float
    target: str | None = None
    error: str | None = None


def _ordered(config: PublishersConfig) -> list[Any]:
    from chaosguard.journal.config import DirectoryPublisher

    dirs = [p for p in config.publishers if p.type == "directory"] or [
        DirectoryPublisher(type="directory")
    ]
    return dirs + [p for p in config.publishers if p.type != "directory"]


def _attempt(spec: Any, func: Any, ctx: PublishContext, redactor: Redactor) -> PublishResult:
    from chaosguard.journal.publishers import PublishError
    from chaosguard.journal.urls import redact_urls_in

    started = time.monotonic()
    deadline = started + spec.max_total_s
    attempts, pause, error = 0, spec.backoff_s, "not tried"
    while attempts < spec.attempts:
        attempts += 1
        try:
            target = func(spec, ctx)
            return PublishResult(
                spec.label,
                spec.type,
                True,
                attempts,
                time.monotonic() - started,
                target=redactor.text(str(target)),
            )
        except PublishError as exc:
            error, retryable, wait = str(exc), exc.retryable, max(pause, exc.retry_after or 0)
        except OSError as exc:
            error, retryable, wait = f"{type(exc).__name__}: {exc}", True, pause
        except Exception as exc:
            error, retryable, wait = f"{type(exc).__name__}: {exc}", False, pause
        error = redactor.text(redact_urls_in(" ".join(error.split())))
        if not retryable or attempts >= spec.attempts or time.monotonic() + wait >= deadline:
            break
        logger.warning(
            "chaosguard: publisher %s failed (try %d/%d), retrying in %.1f s: %s",
            spec.label,
            attempts,
            spec.attempts,
            wait,
            error,
        )
        time.sleep(wait)
        pause *= 2
    return PublishResult(
        spec.label, spec.type, False, attempts, time.monotonic() - started, error=error
    )


def _loaded_settings() -> dict[str, Any] | None:
    """The settings ``chaos`` loaded in this process (None outside a ``chaos`` command)."""
    try:
        from chaoslib.settings import get_loaded_settings

        return get_loaded_settings() or None
    except Exception:
        return None


def _config(
    settings: Mapping[str, Any] | None, env: Mapping[str, str], results: list[PublishResult]
) -> PublishersConfig | None:
    from chaosguard.journal.config import PublishersConfig, load_config

    try:
        return load_config(settings, env)
    except InvalidArgument as exc:
        logger.error("chaosguard: publishers configuration: %s; archiving under ./runs only", exc)
        results.append(PublishResult("config", "config", False, 1, 0.0, error=str(exc)))
        return PublishersConfig()


def publish_journal(
    journal: dict[str, Any],
    settings: dict[str, Any] | None,
    config: PublishersConfig | None = None,
    *,
    secrets: Mapping[str, Any] | None = None,
    configuration: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> list[PublishResult]:
    """Publish ``journal`` as configured in ``settings`` (or ``config``); one result per publisher.

    :param journal: the Chaos Toolkit journal (not changed).
    :param settings: the Chaos Toolkit settings (their ``chaosguard.publishers``), plus
        ``$CHAOSGUARD_PUBLISHERS``; None: the settings ``chaos`` loaded in this process. Ignored
        when ``config`` is given. Nothing configured: nothing is done.
    :param secrets: the resolved secrets Chaos Toolkit passed to the control, to redact by value.
    :param configuration: the resolved configuration, to redact secret-named values.
    :param env: environment to read auth values and env-sourced secrets from (default
        ``os.environ``).
    """
    env = os.environ if env is None else env
    results: list[PublishResult] = []
    if config is None and settings is None:
        settings = _loaded_settings()
    if config is None and not configured(settings, env):
        return results
    if config is None:
        config = _config(settings, env, results)
    if config is None:
        return results
    from chaosguard.journal.facts import facts_of
    from chaosguard.journal.publishers import PublishContext, registry
    from chaosguard.journal.redact import Redactor, env_config_values, secret_values

    specs = _ordered(config)
    extra = [env[name] for name in config.redact.env if env.get(name)]
    extra += [
        env[s.auth_env] for s in specs if getattr(s, "auth_env", None) and env.get(s.auth_env)
    ]
    try:
        redactor = Redactor(
            secret_values(
                journal, secrets=secrets, configuration=configuration, env=env, extra_values=extra
            ),
            env_config_values(journal, configuration=configuration, env=env),
        )
        safe = redactor.value(journal)
        ctx = PublishContext(journal=safe, facts=facts_of(safe), env=env)
    except Exception as exc:
        logger.exception("chaosguard: could not redact the journal; nothing published")
        return [
            *results,
            PublishResult("redact", "redact", False, 1, 0.0, error=f"{type(exc).__name__}"),
        ]
    funcs = registry()
    for spec in specs:
        result = _attempt(spec, funcs[spec.type], ctx, redactor)
        results.append(result)
        if result.ok:
            logger.info("chaosguard: published journal via %s: %s", result.publisher, result.target)
        else:
            logger.error(
                "chaosguard: publisher %s failed after %d tr%s: %s",
                result.publisher,
                result.attempts,
                "y" if result.attempts == 1 else "ies",
                result.error,
            )
    return results
