"""One HTTP request for the webhook and Pushgateway publishers: TLS, auth from the environment,
errors classified.

TLS verification is on unless the spec says ``verify: false``; ``verify: <path>`` trusts that CA
bundle (file or directory) instead of the system store. The auth header's value is read from the
environment variable ``auth_env`` at send time and is never logged. An auth header is never sent
over plain ``http://`` (loopback included: another local user can read loopback traffic too)
unless the operator policy says ``journal.allow_plain_http_auth: true``; the refusal names that
key and nothing is sent. Redirects are not followed (a redirect could carry the journal and the
auth header elsewhere). URLs in errors are redacted (:func:`~chaosguard.journal.urls.redact_url`).
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from chaosguard import __version__
from chaosguard.errors import ChaosGuardError
from chaosguard.journal.config import HttpTarget
from chaosguard.journal.publishers import PublishError
from chaosguard.journal.urls import redact_url, redact_urls_in
from chaosguard.policy.active import active_policy

__all__ = ["auth_value", "plain_http_auth_allowed", "send", "USER_AGENT"]

logger = logging.getLogger("chaostoolkit")

USER_AGENT = f"chaosguard/{__version__}"
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


def auth_value(spec: HttpTarget, env: Mapping[str, str]) -> str | None:
    """The auth header value (scheme + the environment variable's value), None when not
    configured."""
    if not spec.auth_env:
        return None
    raw = env.get(spec.auth_env)
    if not raw or not raw.strip():
        raise PublishError(
            f"environment variable {spec.auth_env} (auth_env) is not set", retryable=False
        )
    if any(c in raw for c in "\r\n"):
        raise PublishError(
            f"environment variable {spec.auth_env} (auth_env) holds a line break", retryable=False
        )
    return f"{spec.auth_scheme} {raw.strip()}" if spec.auth_scheme else raw.strip()


def plain_http_auth_allowed() -> tuple[bool, str]:
    """Whether the operator policy allows an auth header over plain http, and why not.

    Read from the policy in force (:func:`chaosguard.policy.active.active_policy`: the guarded
    run's, else ``$CHAOSGUARD_POLICY``); a policy that cannot be read allows nothing.
    """
    try:
        policy = active_policy()
    except ChaosGuardError as exc:
        return False, f"the policy could not be read ({exc})"
    if policy.journal.allow_plain_http_auth:
        return True, ""
    return False, "the policy does not allow it"


def _verify(spec: HttpTarget) -> ssl.SSLContext | bool:
    if spec.verify is False:
        return False
    if spec.verify is True:
        return ssl.create_default_context()
    path = Path(spec.verify).expanduser()
    try:
        if path.is_dir():
            return ssl.create_default_context(capath=str(path))
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise PublishError(f"cannot load CA bundle {path}: {exc}", retryable=False) from None


def _tls_failure(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return getattr(seen, "verify_message", None) or "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return None


def send(
    spec: HttpTarget,
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    env: Mapping[str, str],
) -> httpx.Response:
    """Send one request; a 2xx response is returned, anything else raises :class:`PublishError`."""
    all_headers = {"User-Agent": USER_AGENT, **headers}
    shown = redact_url(url)
    auth = auth_value(spec, env)
    if auth is not None:
        all_headers[spec.auth_header] = auth
        if urlsplit(url).scheme.lower() == "http":
            allowed, why = plain_http_auth_allowed()
            if not allowed:
                raise PublishError(
                    f"refusing to send the {spec.auth_header} header over plain http to {shown}: "
                    f"use https, or set journal.allow_plain_http_auth: true in the operator "
                    f"policy ({why})",
                    retryable=False,
                )
            logger.warning(
                "chaosguard: sending the %s header over plain http to %s "
                "(journal.allow_plain_http_auth: true)",
                spec.auth_header,
                shown,
            )
    try:
        with httpx.Client(
            verify=_verify(spec), timeout=spec.timeout_s, follow_redirects=False
        ) as client:
            response = client.request(method, url, content=body, headers=all_headers)
    except httpx.HTTPError as exc:
        tls = _tls_failure(exc)
        if tls is not None:
            raise PublishError(
                f"TLS verification of {shown} failed ({tls}); trust its CA with "
                "verify: <CA bundle path>, or verify: false",
                retryable=False,
            ) from None
        detail = redact_urls_in(str(exc) or "no detail")
        raise PublishError(f"{method} {shown}: {type(exc).__name__}: {detail}") from None
    if 200 <= response.status_code < 300:
        return response
    detail = redact_urls_in(response.text[:200].strip().replace("\n", " "))
    retryable = response.status_code in _RETRY_STATUS
    after = response.headers.get("Retry-After", "").strip()
    raise PublishError(
        f"{method} {shown}: HTTP {response.status_code}" + (f": {detail}" if detail else ""),
        retryable=retryable,
        retry_after=float(after) if after.replace(".", "", 1).isdigit() else None,
    )
