"""Redaction: one function that every published copy, report, JUnit file, summary and webhook body
goes through.

Three rules, applied together by :func:`redact_journal` (a deep copy; the input is never changed):

* **By name** — a mapping entry whose key looks secret (``password``, ``token``, ``secret``,
  ``api_key``, ``Authorization``, ``X-Auth-Token``, ``credentials``, ``cookie`` …) has its value
  replaced by :data:`REDACTED`, all the way down. Keys that *name* a secret rather than hold it keep
  their value: ``bearer_token_env``, ``auth_header``, ``token_file``, ``secret_name`` (suffixes
  env/var/file/path/name/type/header/url). A Chaos Toolkit reference
  ``{type: env|vault, key: NAME}`` keeps its type and key. An activity's ``secrets: [scope, …]``
  list names scopes and is kept.
* **By value** — every value known to be secret is replaced wherever it occurs, inside any string
  (outputs, exception texts, URLs, keys): the experiment's ``secrets`` values (literals, and ``env``
  ones read from the environment), the resolved ``secrets`` Chaos Toolkit hands to controls,
  **every** ``env``-sourced configuration value (whatever its name: a Slack hook URL read from
  ``{type: env, key: SLACK_HOOK}`` is a credential), the environment variables that keys
  like ``bearer_token_env`` name, values found under secret-named keys anywhere in the journal (at
  least :data:`HARVEST_MIN` characters, so an ``Authorization`` header's token is also hidden where
  an output echoes it), and any extra values (the webhook's auth header value). Values shorter than
  :data:`MIN_SUBSTRING` characters are only replaced where they are the whole string.
* **By shape** — ``Bearer …``/``Basic …`` credentials, ``user:password@`` in URLs, secret-named
  query parameters and ``password=…``-style pairs inside any string.

Redaction is idempotent: redacting a redacted journal changes nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from chaosguard.journal.secret_rules import REDACTED, SHAPES, TRIGGERS, is_secret_key, key_words

__all__ = [
    "redact_in_place",
    "REDACTED",
    "MIN_SUBSTRING",
    "HARVEST_MIN",
    "Redactor",
    "is_secret_key",
    "secret_values",
    "env_config_values",
    "redact_journal",
    "redactor_for",
]

MIN_SUBSTRING = 4
#: values found under secret-named keys are also redacted elsewhere when at least this long
HARVEST_MIN = 8
_MAX_DEPTH = 200
#: at most this many distinct texts, each at most _MEMO_TEXT long, are remembered by a Redactor
_MEMO_LIMIT = 4096
_MEMO_TEXT = 256


def _is_reference(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and value.get("type") in ("env", "vault")
        and ("key" in value or "path" in value)
    )


def _leaves(value: Any, depth: int = 0) -> Iterable[Any]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            if _is_reference(value) and k in ("type", "key", "path"):
                continue
            yield from _leaves(v, depth + 1)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _leaves(v, depth + 1)
    elif value is not None and not isinstance(value, bool):
        yield value


def _texts(values: Iterable[Any]) -> set[str]:
    texts = {str(v) for v in values if v is not None and not isinstance(v, bool)}
    return {t for t in texts if t.strip() and t != REDACTED}


class Redactor:
    """Applies the three rules with a fixed set of secret values; build one with
    :func:`redactor_for`."""

    def __init__(self, values: Iterable[Any] = (), weak: Iterable[Any] = ()) -> None:
        texts, loose = _texts(values), _texts(weak)
        self.exact = frozenset(texts | loose)
        long = {t for t in texts if len(t) >= MIN_SUBSTRING}
        long |= {t for t in loose if len(t) >= HARVEST_MIN}
        ordered = sorted(long, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        #: texts already redacted (a journal repeats its keys and many values)
        self._seen: dict[str, str] = {}

    def text(self, text: str) -> str:
        """``text`` with every known secret value and secret-shaped credential replaced."""
        if len(text) > _MEMO_TEXT:
            return self._redacted(text)
        done = self._seen.get(text)
        if done is None:
            done = self._redacted(text)
            if len(self._seen) < _MEMO_LIMIT:
                self._seen[text] = done
        return done

    def _redacted(self, text: str) -> str:
        if text in self.exact:
            return REDACTED
        for _ in range(5):  # replacing can splice a new match; stop at a fixed point
            before = text
            if self._pattern is not None:
                text = self._pattern.sub(REDACTED, text)
            low = text.lower()
            for (pattern, repl), triggers in zip(SHAPES, TRIGGERS, strict=True):
                if any(t in low for t in triggers):
                    text = pattern.sub(repl, text)
            if text == before:
                break
        return text

    def _scalar(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            return REDACTED if str(value) in self.exact else value
        return self.text(str(value))  # enums, paths, datetimes: as their text

    def _hide(self, value: Any, depth: int) -> Any:
        """A value under a secret-named key: every leaf goes, references keep their type/key."""
        if depth > _MAX_DEPTH:
            return REDACTED
        if isinstance(value, Mapping):
            ref = _is_reference(value)
            return {
                self.text(str(k)): (
                    self.value(v, depth + 1)
                    if ref and k in ("type", "key", "path")
                    else self._hide(v, depth + 1)
                )
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._hide(v, depth + 1) for v in value]
        return value if value is None or isinstance(value, bool) else REDACTED

    def value(self, value: Any, depth: int = 0) -> Any:
        """A redacted deep copy of a JSON-like ``value`` (tuples become lists, other objects
        text)."""
        if depth > _MAX_DEPTH:
            return REDACTED
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for k, v in value.items():
                key = self.text(str(k))
                if k == "secrets" and isinstance(v, list) and all(isinstance(s, str) for s in v):
                    out[key] = [self.text(s) for s in v]  # an activity's list of secret scopes
                elif is_secret_key(k):
                    out[key] = self._hide(v, depth + 1)
                else:
                    out[key] = self.value(v, depth + 1)
            return out
        if isinstance(value, list | tuple):
            return [self.value(v, depth + 1) for v in value]
        return self._scalar(value)


def _named_env_values(node: Any, env: Mapping[str, str], depth: int = 0) -> Iterable[str]:
    """Values of the environment variables that secret-ish ``*_env`` keys name
    (``bearer_token_env``)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, Mapping):
        for k, v in node.items():
            if isinstance(k, str) and isinstance(v, str) and v in env:
                words = key_words(k)
                if words and words[-1] in ("env", "var") and is_secret_key("_".join(words[:-1])):
                    yield env[v]
            yield from _named_env_values(v, env, depth + 1)
    elif isinstance(node, list | tuple):
        for v in node:
            yield from _named_env_values(v, env, depth + 1)


def _named_values(node: Any, depth: int = 0) -> Iterable[str]:
    """Values found under secret-named keys anywhere in ``node`` (and the credential of
    ``Bearer x``)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, Mapping):
        for k, v in node.items():
            if k == "secrets" and isinstance(v, list):
                continue
            if is_secret_key(k):
                for leaf in _leaves(v):
                    text = str(leaf)
                    yield text
                    scheme, _, rest = text.partition(" ")
                    if rest and scheme.lower() in ("bearer", "basic", "token"):
                        yield rest.strip()
            else:
                yield from _named_values(v, depth + 1)
    elif isinstance(node, list | tuple):
        for v in node:
            yield from _named_values(v, depth + 1)


def _declared_values(declared: Any, env: Mapping[str, str], all_secret: bool) -> Iterable[Any]:
    """Values of an experiment's ``secrets``/``configuration`` declarations (``env`` ones read from
    ``env``)."""
    if not isinstance(declared, Mapping):
        return
    for name, item in declared.items():
        secretish = all_secret or is_secret_key(name)
        if isinstance(item, Mapping) and item.get("type") == "env":
            key = item.get("key")
            if isinstance(key, str) and (secretish or is_secret_key(key)) and env.get(key):
                yield env[key]  # the others are env_config_values
            if secretish and item.get("default") is not None:
                yield item["default"]
        elif isinstance(item, Mapping) and not _is_reference(item):
            yield from _declared_values(item, env, all_secret)
        elif secretish and not _is_reference(item):
            yield from _leaves(item)


def secret_values(
    journal: Mapping[str, Any],
    *,
    secrets: Mapping[str, Any] | None = None,
    configuration: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    extra_values: Iterable[Any] = (),
) -> set[str]:
    """Every value known to be secret for ``journal`` (see the module docstring for the sources)."""
    env = os.environ if env is None else env
    raw = journal.get("experiment")
    experiment: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    found: list[Any] = list(extra_values)
    found += _declared_values(experiment.get("secrets"), env, all_secret=True)
    found += _declared_values(experiment.get("configuration"), env, all_secret=False)
    found += _named_env_values(journal, env)
    found += [v for v in _named_values(journal) if len(v) >= HARVEST_MIN and v != REDACTED]
    if secrets:
        found += _leaves(secrets)
    if configuration:
        found += [v for k, val in configuration.items() if is_secret_key(k) for v in _leaves(val)]
    return {str(v) for v in found if v is not None and not isinstance(v, bool) and str(v).strip()}


def _env_declared(declared: Any) -> Iterable[tuple[str, str]]:
    """``(name, environment key)`` of every ``{type: env}`` configuration entry."""
    if isinstance(declared, Mapping):
        for name, item in declared.items():
            if isinstance(item, Mapping) and item.get("type") == "env":
                if isinstance(item.get("key"), str):
                    yield str(name), item["key"]
            elif isinstance(item, Mapping) and not _is_reference(item):
                yield from _env_declared(item)


def env_config_values(
    journal: Mapping[str, Any],
    *,
    configuration: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> set[str]:
    """Every value an ``env``-sourced configuration entry of ``journal``'s experiment took: read
    from ``env`` (default ``os.environ``) and, by name, from the resolved ``configuration``."""
    env = os.environ if env is None else env
    raw = journal.get("experiment")
    experiment: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    found: list[Any] = []
    for name, key in _env_declared(experiment.get("configuration")):
        if env.get(key):
            found.append(env[key])
        if configuration and name in configuration:
            found += _leaves(configuration[name])
    return {str(v) for v in found if v is not None and not isinstance(v, bool) and str(v).strip()}


def redactor_for(journals: Iterable[Mapping[str, Any]], **kwargs: Any) -> Redactor:
    """One :class:`Redactor` knowing the secret values and the env-sourced configuration values of
    all ``journals`` (kwargs: see :func:`secret_values`)."""
    values: set[str] = set()
    weak: set[str] = set()
    for journal in journals:
        values |= secret_values(journal, **kwargs)
        weak |= env_config_values(
            journal, configuration=kwargs.get("configuration"), env=kwargs.get("env")
        )
    return Redactor(values, weak)


def redact_journal(
    journal: Mapping[str, Any],
    *,
    secrets: Mapping[str, Any] | None = None,
    configuration: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    extra_values: Iterable[Any] = (),
) -> dict[str, Any]:
    """A redacted deep copy of ``journal``; ``secrets``/``configuration`` are the resolved dicts, if
    known."""
    redactor = redactor_for(
        [journal], secrets=secrets, configuration=configuration, env=env, extra_values=extra_values
    )
    out = redactor.value(journal)
    return out if isinstance(out, dict) else {}


def redact_in_place(
    journal: dict[str, Any],
    *,
    secrets: Mapping[str, Any] | None = None,
    configuration: Mapping[str, Any] | None = None,
) -> None:
    """Redact ``journal`` itself: the dict Chaos Toolkit writes to ``--journal-path`` after the
    controls ran, so the run's own journal file never holds a secret or an env-sourced value."""
    safe = redact_journal(journal, secrets=secrets, configuration=configuration)
    journal.clear()
    journal.update(safe)
