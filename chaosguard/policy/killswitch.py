"""The kill switch: on when ANY configured source says on, or cannot be read (fail closed).

Sources and what "on" means (words are compared after stripping and lower-casing):

- ``env``: on while the variable is set and non-empty, unless its value is
  ``0``/``false``/``off``/``no``. It is the runner's own environment: it can keep a run from
  starting, not stop a running one (use a file or URL for that).
- ``file``: on while the file exists, unless its content is ``0``/``false``/``off``/``no``; off
  only when the path does not exist (``ENOENT``, or ``ENOTDIR``: a parent is a regular file); any
  other error is on (no permission on it or on a directory above it, a symlink loop, a
  directory).
- ``url``: ``GET`` with ``timeout_s``; off only when it answers **200** with a body that is
  ``off``/``false``/``0``/``no`` or JSON ``{"enabled": false}`` / ``false`` / ``0``. A body of
  ``on``/``true``/``1``/``yes`` or ``{"enabled": true}`` is on; any other status, an unrecognised
  body, a timeout or a connection error is on too (fail closed).
- ``configmap``: read from the cluster by :mod:`chaosguard.kube.configmaps` (imported only when such
  a switch is configured); another reader can be installed with :func:`register_reader`. A ConfigMap
  that cannot be read counts as on.

Readers are plain callables ``(spec, timeout_s) -> (on, reason)``; any exception they raise counts
as on.
"""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from chaosguard.errors import ChaosGuardError

if TYPE_CHECKING:
    from chaosguard.policy.model import ConfigMapRef, Policy

__all__ = [
    "OFF_WORDS",
    "ON_WORDS",
    "KillSwitchState",
    "Reader",
    "kill_switch_state",
    "read_env",
    "read_file",
    "read_url",
    "reader_for",
    "register_reader",
]

ON_WORDS = frozenset({"1", "true", "on", "yes"})
OFF_WORDS = frozenset({"0", "false", "off", "no"})
_MAX_BODY = 64 * 1024
_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR})

Reader = Callable[[Any, float], tuple[bool, str]]


class KillSwitchState(NamedTuple):
    """``(on, source, reason)``: ``source`` names the source that is on (``""`` when off)."""

    on: bool
    source: str
    reason: str


def read_env(name: str, timeout_s: float = 0.0) -> tuple[bool, str]:
    """The ``env`` source."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return False, f"${name} is not set"
    word = value.strip().lower()
    if word in OFF_WORDS:
        return False, f"${name}={word}"
    return True, f"${name} is set ({value.strip()[:20]!r})"


def read_file(path: str, timeout_s: float = 0.0) -> tuple[bool, str]:
    """The ``file`` source: off only when the path does not exist (``ENOENT``, or ``ENOTDIR``: a
    parent is a regular file) or the file says off; any other error is on (fail closed): no
    permission (``EACCES`` on the file or a directory above it), a symlink loop (``ELOOP``), a
    name too long, a directory, an I/O error. Opened non-blocking so a FIFO cannot hang the
    guard."""
    target = Path(path).expanduser()
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in _MISSING:
            return False, f"{target} does not exist"
        return True, f"{target} cannot be read ({exc.strerror or exc}; fail closed)"
    except ValueError as exc:  # a NUL in the path
        return True, f"{target!r} cannot be read ({exc}; fail closed)"
    try:
        content = os.read(fd, 4096)
    except OSError as exc:
        return True, f"{target} exists but cannot be read ({exc.strerror or exc}; fail closed)"
    finally:
        os.close(fd)
    word = content.decode("utf-8", "replace").strip().lower()
    if word in OFF_WORDS:
        return False, f"{target} says {word!r}"
    return True, f"{target} exists"


def _verdict(body: bytes) -> bool | None:
    """True/False from a recognised answer; None when the answer is not understood."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = text
    if isinstance(data, dict):
        data = data.get("enabled")
    if isinstance(data, bool):
        return data
    if isinstance(data, int | float) and data in (0, 1):
        return bool(data)
    if isinstance(data, str):
        word = data.strip().lower()
        return True if word in ON_WORDS else False if word in OFF_WORDS else None
    return None


def read_url(url: str, timeout_s: float) -> tuple[bool, str]:
    """The ``url`` source (fails closed: anything but a clear "off" is on).

    ``timeout_s`` bounds connecting and each read; the whole answer must arrive within twice that.
    """
    import httpx

    deadline = time.monotonic() + 2 * timeout_s
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": "application/json, text/plain"}) as resp,
        ):
            status, body = resp.status_code, b""
            for chunk in resp.iter_bytes():
                body += chunk
                if time.monotonic() > deadline:
                    return True, f"{url} answered too slowly (fail closed)"
                if len(body) > _MAX_BODY:
                    return True, f"{url} answered more than {_MAX_BODY} bytes (fail closed)"
    except httpx.TimeoutException:
        return True, f"{url} did not answer within {timeout_s:g} s (fail closed)"
    except (httpx.HTTPError, OSError, ValueError) as exc:
        return True, f"{url} is unreachable ({type(exc).__name__}: {exc}; fail closed)"
    if status != 200:
        return True, f"{url} answered HTTP {status} (fail closed)"
    verdict = _verdict(body)
    if verdict is None:
        return True, f"{url} answered {body[:40]!r}, neither on nor off (fail closed)"
    return verdict, f"{url} says {'on' if verdict else 'off'}"


def read_configmap_switch(ref: ConfigMapRef, timeout_s: float) -> tuple[bool, str]:
    """A key of a ConfigMap, with the ``file`` source's meaning: missing ConfigMap or key → off;
    ``0``, ``false``, ``off``, ``no`` → off; any other value → on; cannot be read → on (fail
    closed).

    The Kubernetes client is imported only when such a switch is configured (it is heavy).
    """
    from chaosguard.kube.configmaps import read_configmap

    where = f"configmap {ref.namespace}/{ref.name}"
    try:
        data = read_configmap(ref.namespace, ref.name, timeout_s)
    except ChaosGuardError as exc:
        return True, f"{where} cannot be read ({exc}; fail closed)"
    if data is None:
        return False, f"{where} does not exist"
    if ref.key not in data:
        return False, f"{where} has no key {ref.key!r}"
    word = data[ref.key].strip().lower()
    if word in OFF_WORDS:
        return False, f"{where} key {ref.key} says {word!r}"
    return True, f"{where} key {ref.key} says {data[ref.key].strip()[:20]!r}"


_READERS: dict[str, Reader] = {
    "env": read_env,
    "file": read_file,
    "url": read_url,
    "configmap": read_configmap_switch,
}


def register_reader(kind: str, reader: Reader) -> Reader | None:
    """Install the reader of a source kind (e.g. ``"configmap"``); returns the previous one."""
    previous = _READERS.get(kind)
    _READERS[kind] = reader
    return previous


def reader_for(kind: str) -> Reader | None:
    """The reader installed for ``kind``."""
    return _READERS.get(kind)


def _label(kind: str, spec: Any) -> str:
    if kind == "configmap":
        return f"configmap {spec.namespace}/{spec.name}:{spec.key}"
    return f"{kind} {spec}"


def kill_switch_state(policy: Policy) -> KillSwitchState:
    """Read the sources of ``policy.kill_switch``, cheapest first; stop at the first that is on.

    Never raises: a reader that fails counts as on. Takes at most about ``timeout_s`` per remote
    source.
    """
    sources = policy.kill_switch.sources()
    if not sources:
        return KillSwitchState(False, "", "no kill switch configured")
    checked = []
    for kind, spec in sources:
        reader = _READERS.get(kind)
        try:
            if reader is None:
                on, reason = True, f"no reader for kill-switch source {kind!r} (fail closed)"
            else:
                on, reason = reader(spec, policy.kill_switch.timeout_s)
        except Exception as exc:
            on, reason = True, f"cannot read ({type(exc).__name__}: {exc}; fail closed)"
        if on:
            return KillSwitchState(True, _label(kind, spec), " ".join(reason.split()))
        checked.append(reason)
    return KillSwitchState(False, "", "off: " + "; ".join(checked))
