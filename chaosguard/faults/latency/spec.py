"""What a latency fault is asked to do: frozen specs, address parsing, and the live pre-checks.

* :class:`Spec` (``latency-proxy``): one proxy ``listen`` → ``upstream`` with a :class:`Toxic`.
* :class:`ToxicChange` (``latency-toxic``): this run's toxic on a proxy another run owns, and the
  toxic to restore.

Two layers of validation, both run before anything is recorded or started:

* :class:`Toxic` and :class:`Spec` check form and ranges (pydantic; use
  :func:`chaosguard.validation.parse`).
* :func:`preflight` checks the world: the listen address can be bound, the upstream host resolves
  and something answers there. It raises the same one-line
  :class:`~chaosguard.errors.InvalidArgument` (the ``latency-proxy`` kind's ``validate``).
"""

from __future__ import annotations

import errno
import os
import re
import socket
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chaosguard.errors import InvalidArgument

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "MAX_PROCESSES",
    "MAX_BANDWIDTH_KBPS",
    "MAX_JITTER_MS",
    "MAX_LATENCY_MS",
    "NO_TOXIC",
    "Direction",
    "Spec",
    "Toxic",
    "ToxicChange",
    "check_listen",
    "default_processes",
    "join_address",
    "preflight",
    "split_address",
]

#: Latency beyond a minute is a partition, not latency; use a different fault for that.
MAX_LATENCY_MS = 60_000.0
#: Jitter is symmetric around the latency; more than 10 s of it is almost surely a unit mistake.
MAX_JITTER_MS = 10_000.0
#: 10 GiB/s: anything above is no cap at all on loopback.
MAX_BANDWIDTH_KBPS = 10 * 1024 * 1024
#: Connections one proxy serves at once unless the policy says otherwise
#: (``local.max_proxy_connections``); beyond it new connections are closed at once.
DEFAULT_MAX_CONNECTIONS = 512
#: The most processes one proxy runs (see :func:`default_processes`).
MAX_PROCESSES = 16
#: The default's ceiling: two processes per CPU, at most this many.
DEFAULT_PROCESSES_CEILING = 4
#: How long the upstream reachability check may wait for a TCP connect.
CONNECT_TIMEOUT_S = 1.0

Direction = Literal["upstream", "downstream", "both"]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_ADDRESS = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9_.-]+)):(?P<port>[0-9]{1,5})$"
)


class Toxic(BaseModel):
    """The disturbance a proxy applies. All zero means: forward untouched.

    ``direction`` says which byte stream gets latency, jitter and the bandwidth cap: ``upstream`` is
    client → server, ``downstream`` is server → client, ``both`` is each of them (a request/response
    round trip then gains about twice the latency). The reset probability applies to new
    connections.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    latency_ms: float = Field(default=0.0, ge=0.0, le=MAX_LATENCY_MS, allow_inf_nan=False)
    jitter_ms: float = Field(default=0.0, ge=0.0, le=MAX_JITTER_MS, allow_inf_nan=False)
    direction: Direction = "both"
    bandwidth_kbps: int = Field(default=0, ge=0, le=MAX_BANDWIDTH_KBPS)
    reset_probability: float = Field(default=0.0, ge=0.0, le=1.0, allow_inf_nan=False)

    @property
    def delays(self) -> bool:
        """True when chunks are held back at all (latency, jitter or a bandwidth cap)."""
        return self.latency_ms > 0 or self.jitter_ms > 0 or self.bandwidth_kbps > 0

    def applies_to(self, stream: str) -> bool:
        """True when ``stream`` (``upstream``/``downstream``) gets the delay part of this toxic."""
        return self.direction in ("both", stream)


#: The toxic of a proxy that only forwards.
NO_TOXIC = Toxic()


def split_address(value: str, *, allow_port_zero: bool = False) -> tuple[str, int]:
    """``"host:port"`` or ``"[v6]:port"`` → ``(host, port)``; :class:`ValueError` when malformed."""
    match = _ADDRESS.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError("expected 'host:port' (IPv6 as '[addr]:port')")
    host = match["v6"] or match["host"]
    if match["v6"] is not None:
        try:
            socket.inet_pton(socket.AF_INET6, host)
        except OSError:
            raise ValueError(f"'{host}' is not an IPv6 address") from None
    port = int(match["port"])
    if not (0 if allow_port_zero else 1) <= port <= 65535:
        low = 0 if allow_port_zero else 1
        raise ValueError(f"port must be between {low} and 65535")
    return host, port


def join_address(host: str, port: int) -> str:
    """The inverse of :func:`split_address`."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Spec(BaseModel):
    """One proxy ``listen`` → ``upstream`` with a toxic; ``listen`` may use port 0 (a free one).

    ``max_connections`` caps the connections it serves at once (the action takes it from the
    policy's ``local.max_proxy_connections``). ``processes`` event loops serve it, each in its own
    process, all on the one listen address (default: :func:`default_processes`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    listen: str
    upstream: str
    toxic: Toxic = NO_TOXIC
    max_connections: int = Field(default=DEFAULT_MAX_CONNECTIONS, ge=1, strict=True)
    processes: int = Field(default_factory=lambda: default_processes(), ge=1, le=MAX_PROCESSES)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        return value

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        return join_address(*split_address(value, allow_port_zero=True))

    @field_validator("upstream")
    @classmethod
    def _upstream(cls, value: str) -> str:
        return join_address(*split_address(value))

    @model_validator(mode="after")
    def _not_itself(self) -> Spec:
        if self.listen == self.upstream:
            raise ValueError("listen and upstream are the same address (the proxy would loop)")
        return self


class ToxicChange(BaseModel):
    """A toxic on the proxy named ``proxy`` (record ``proxy_record``, socket ``control``) that
    another run owns; ``restore`` is the toxic it had before this run's first change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    proxy: str
    proxy_record: str
    control: str
    toxic: Toxic
    restore: Toxic = NO_TOXIC


def _resolve(field: str, host: str, port: int) -> list[tuple[int, tuple[object, ...]]]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidArgument(field, f"unknown host '{host}' ({exc.strerror})") from None
    return [(family, addr) for family, _, _, _, addr in infos]


def default_processes() -> int:
    """Two proxy processes per CPU, at most :data:`DEFAULT_PROCESSES_CEILING`. On 2 CPUs, 4
    processes had a lower median error than 2 in 6 of 6 alternating runs and a lower p99 in 4 of 6
    (docs/faults/latency.md); more would split 200 connections into shares too small to matter, and
    cost memory. Measured on 2 CPUs only."""
    return max(1, min(2 * (os.cpu_count() or 1), DEFAULT_PROCESSES_CEILING))


def check_listen(listen: str) -> None:
    """The listen address can be bound here (free, an address of this machine)."""
    host, port = split_address(listen, allow_port_zero=True)
    family, addr = _resolve("listen", host, port)[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(addr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InvalidArgument("listen", f"address {listen} is already in use") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise InvalidArgument(
                    "listen", f"{host} is not an address of this machine"
                ) from None
            raise InvalidArgument("listen", f"cannot bind {listen}: {exc.strerror}") from None


def _check_upstream(upstream: str, timeout: float) -> None:
    host, port = split_address(upstream)
    problem = "no address"
    for family, addr in _resolve("upstream", host, port):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(timeout)
            try:
                probe.connect(addr)
                return
            except TimeoutError:
                problem = f"no answer within {timeout:g} s"
            except OSError as exc:
                problem = (exc.strerror or str(exc)).lower()
    raise InvalidArgument("upstream", f"nothing answers at {upstream} ({problem})")


def preflight(spec: Spec, *, connect_timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Check the world for ``spec``: listen address free and local, upstream found and answering."""
    check_listen(spec.listen)
    _check_upstream(spec.upstream, connect_timeout)
