"""URLs as they may appear in a log line, an error or a publish result: credentials taken out.

:func:`redact_url` keeps what helps to debug (scheme, host, port, the shape of the path) and hides
what carries credentials in practice, by rule rather than by guess:

* the userinfo (``user:password@``) — always;
* every query value (``?channel=***&token=***``) and the fragment — always;
* path segments on the hosts of known chat and incident webhooks (Slack, Discord, Microsoft
  Teams, Google Chat, Mattermost-style ``/hooks/``): everything after the first segment, since
  their token *is* the path;
* elsewhere, path segments shaped like a token: at least 16 characters of letters, digits and
  ``-_.~+=``, with upper case, lower case and digits all present (a slug like ``latency-test-2``
  stays, ``Xq7RtY9uZk3PmWn2Lb8sVc4D`` goes);
* then every value the given :class:`~chaosguard.journal.redact.Redactor` knows is secret.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from chaosguard.journal.redact import REDACTED, Redactor

__all__ = ["HOOK_HOSTS", "redact_url", "redact_urls_in"]

#: hosts whose webhook URLs carry their token in the path
HOOK_HOSTS = (
    "hooks.slack.com",
    "discord.com",
    "discordapp.com",
    "outlook.office.com",
    "webhook.office.com",
    "chat.googleapis.com",
    "hooks.zapier.com",
)
_TOKEN = re.compile(r"^[A-Za-z0-9\-_.~+=]{16,}$")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\"'<>]+")


def _is_hook_host(host: str) -> bool:
    return any(host == h or host.endswith("." + h) for h in HOOK_HOSTS)


def _looks_like_token(segment: str) -> bool:
    return (
        bool(_TOKEN.match(segment))
        and any(c.isupper() for c in segment)
        and any(c.islower() for c in segment)
        and any(c.isdigit() for c in segment)
    )


def redact_url(url: str, redactor: Redactor | None = None) -> str:
    """``url`` with userinfo, query values, fragment and token-like path segments replaced by
    ``***`` (see the module docstring); text that is not a URL goes through ``redactor`` only."""
    redactor = redactor or Redactor()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return redactor.text(url)
    if not parts.scheme or not parts.netloc:
        return redactor.text(url)
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    if parts.username is not None or parts.password is not None:
        netloc = f"{REDACTED}@{netloc}"
    segments = parts.path.split("/")
    if _is_hook_host(host.lower()):
        named = [i for i, s in enumerate(segments) if s]
        for i in named[1:]:
            segments[i] = REDACTED
    else:
        segments = [REDACTED if _looks_like_token(s) else s for s in segments]
    query = "&".join(
        f"{item.partition('=')[0]}={REDACTED}" if item else item for item in parts.query.split("&")
    )
    fragment = REDACTED if parts.fragment else ""
    shown = urlunsplit((parts.scheme, netloc, "/".join(segments), query, fragment))
    return redactor.text(shown)


def redact_urls_in(text: str, redactor: Redactor | None = None) -> str:
    """``text`` with every URL in it passed through :func:`redact_url`."""
    return _URL.sub(lambda m: redact_url(m.group(0), redactor), text)
