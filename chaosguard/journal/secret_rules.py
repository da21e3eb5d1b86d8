"""What the redaction calls secret: key names that hold a secret, and the shapes of credentials
inside any string (see :mod:`chaosguard.journal.redact` for the rules in words)."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from typing import Any

__all__ = ["REDACTED", "SHAPES", "TRIGGERS", "is_secret_key", "key_words"]

REDACTED = "***"

_SECRET_WORDS = (
    "passw",
    "passphrase",
    "secret",
    "token",
    "credential",
    "apikey",
    "accesskey",
    "privatekey",
    "authorization",
    "cookie",
    "signature",
)
_SECRET_EXACT = {"pwd", "auth", "pass", "sig", "jwt", "bearer"}
_KEY_PAIRS = {
    ("api", "key"),
    ("access", "key"),
    ("private", "key"),
    ("signing", "key"),
    ("session", "id"),
    ("client", "key"),
}
_NAMING_SUFFIX = {
    "env",
    "var",
    "file",
    "path",
    "name",
    "names",
    "type",
    "header",
    "url",
    "uri",
    "ttl",
}

SHAPES: list[tuple[re.Pattern[str], str]] = [  # each with a cheap trigger in TRIGGERS
    # Authorization-style credentials: "Bearer <token>", "Basic <base64>"
    (re.compile(r"(?i)\b(bearer)(\s+)(?!\*\*\*)[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1\2{REDACTED}"),
    (
        re.compile(r"\b(Basic)(\s+)(?!\*\*\*)(?=[A-Za-z0-9+/]+[A-Z0-9+/=])[A-Za-z0-9+/]{12,}=*"),
        rf"\1\2{REDACTED}",
    ),
    # user:password@ in URLs
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]*:)(?!\*\*\*@)[^/\s@]+@"), rf"\1{REDACTED}@"),
    # secret-named query parameters: ?access_token=..., &api-key=..., &key=...
    (
        re.compile(
            r"(?i)([?&;](?:[^=&#\s]*(?:token|secret|passw|api[-_]?key|signature|credential)"
            r"[^=&#\s]*|key|auth|sig)=)(?!\*\*\*)[^&#\s\"']+"
        ),
        rf"\1{REDACTED}",
    ),
    # password=..., "api_key": "...", client_secret: ...
    (
        re.compile(
            r"(?i)(?<![a-z0-9])((?:password|passwd|secret|token|api[_-]?key)(?:[_-]?key)?"
            r"[\"']?\s*[=:]\s*[\"']?)(?!\*\*\*)[^\s,;'\"&}]+"
        ),
        rf"\1{REDACTED}",
    ),
]
#: a shape's regex runs only if its trigger is in the (lower-cased) text: most strings skip them all
TRIGGERS: list[tuple[str, ...]] = [
    ("bearer",),
    ("basic",),
    ("://",),
    ("=",),
    ("password", "passwd", "secret", "token", "api"),
]


_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def key_words(key: str) -> list[str]:
    """The lower-case words of a key: ``X-Auth-Token`` and ``xAuthToken`` → x, auth, token."""
    spaced = _CAMEL.sub(r"\1_\2", key)
    return [w for w in _NON_WORD.split(spaced.lower()) if w]


def is_secret_key(key: Any) -> bool:
    """True when a mapping key's name says its value is a secret (see the module docstring)."""
    return isinstance(key, str) and _secret_name(key)


@lru_cache(maxsize=4096)
def _secret_name(key: str) -> bool:
    """:func:`is_secret_key` of a string (a journal repeats the same few keys many times)."""
    words = key_words(key)
    if not words or words[-1] in _NAMING_SUFFIX:
        return False
    joined = "".join(words)
    if any(w in _SECRET_EXACT for w in words) or any(s in joined for s in _SECRET_WORDS):
        return True
    return any(pair in _KEY_PAIRS for pair in pairwise(words))
