"""Timed HTTP requests with explicit timeouts (httpx); the building block of every HTTP probe."""

from __future__ import annotations

import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from chaosguard.slo.http.stats import Sample

__all__ = ["HttpTarget", "client_for", "measure", "timed_request", "tls_context"]


class HttpTarget(BaseModel):
    """What to request and what counts as an error."""

    model_config = ConfigDict(frozen=True)

    url: str
    method: str = "GET"
    timeout_s: float = Field(default=2.0, gt=0, le=300)
    max_ok_status: int = Field(default=399, ge=100, le=599)
    verify_tls: bool = True
    headers: dict[str, str] = {}

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            url = httpx.URL(value)
        except httpx.InvalidURL as exc:
            raise ValueError(f"not a valid URL: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value.upper() not in {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}:
            raise ValueError("unknown HTTP method")
        return value.upper()


_tls_contexts: dict[bool, ssl.SSLContext] = {}
_tls_lock = threading.Lock()


def tls_context(target: HttpTarget) -> ssl.SSLContext:
    """The process's TLS context for ``target``'s TLS setting, built once: building one loads the
    trust store (~50-130 ms of CPU holding the GIL, more on a busy machine), which every request
    timed meanwhile in this process would pay. A context is safe to share between clients."""
    with _tls_lock:
        ctx = _tls_contexts.get(target.verify_tls)
        if ctx is None:
            ctx = ssl.create_default_context()
            if not target.verify_tls:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            _tls_contexts[target.verify_tls] = ctx
        return ctx


def client_for(
    target: HttpTarget, pool: int = 4, tls: ssl.SSLContext | None = None
) -> httpx.Client:
    """A keep-alive client with the target's timeout and TLS setting (``tls``: the shared context
    of :func:`tls_context`, which clients built on a hot path should pass)."""
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    return httpx.Client(
        timeout=httpx.Timeout(target.timeout_s),
        verify=tls if tls is not None else target.verify_tls,
        headers=target.headers,
        limits=limits,
        follow_redirects=False,
    )


def timed_request(client: httpx.Client, target: HttpTarget) -> Sample:
    """One request; transport errors and timeouts are samples too (status 0, time spent)."""
    at = time.time()
    start = time.perf_counter()
    try:
        status = client.request(target.method, target.url).status_code
    except httpx.HTTPError:
        status = 0
    latency = (time.perf_counter() - start) * 1000.0
    return Sample(
        at=at, latency_ms=latency, status=status, error=status == 0 or status > target.max_ok_status
    )


def measure(target: HttpTarget, requests: int, concurrency: int) -> list[Sample]:
    """``requests`` requests over ``concurrency`` keep-alive connections."""
    with client_for(target, concurrency) as client:
        if concurrency == 1:
            return [timed_request(client, target) for _ in range(requests)]
        with ThreadPoolExecutor(concurrency, thread_name_prefix="cg-http") as pool:
            return list(pool.map(lambda _: timed_request(client, target), range(requests)))
