"""Where the cluster is: a kubeconfig file and context (or the pod's service account), TLS verified.

Resolution (first match wins), the same names chaostoolkit-kubernetes uses where it has one:

==================  ================================================================================
kubeconfig          experiment ``configuration.kubeconfig_path`` → secret ``KUBECONFIG`` → env
                    ``$KUBECONFIG`` (``:``-separated list, merged like kubectl) →
                    ``~/.kube/config`` → in-cluster service account (when
                    ``CHAOSTOOLKIT_IN_POD=true``, or inside a pod)
context             ``configuration.kubernetes_context`` → secret / env ``KUBERNETES_CONTEXT`` →
                    the kubeconfig's ``current-context``
TLS verification    ON. Off only when secret / env ``KUBERNETES_VERIFY_SSL`` is
                    ``false``/``0``/``no``/``off`` (or the kubeconfig itself says
                    ``insecure-skip-tls-verify: true``); a warning is logged either way.
==================  ================================================================================

Nothing found is ``InvalidArgument('kubeconfig', 'no kubeconfig found: ...')`` — never the stock
client's silent ``http://localhost``. An unknown context is
``InvalidArgument('kubernetes_context', ...)`` listing the contexts that exist. A :class:`Cluster`
holds only paths and names (no credentials), so a ledger record can carry it and ``chaos cleanup``
can reconnect without the original process.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaosguard.errors import InvalidArgument

__all__ = ["Cluster", "api_client", "forget_clients", "resolve_cluster", "POOL_SIZE"]

logger = logging.getLogger("chaostoolkit")

CONF_PATH = "kubeconfig_path"
CONF_CONTEXT = "kubernetes_context"
ENV_KUBECONFIG = "KUBECONFIG"
ENV_CONTEXT = "KUBERNETES_CONTEXT"
ENV_VERIFY = "KUBERNETES_VERIFY_SSL"
DEFAULT_PATH = "~/.kube/config"
SA_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
_OFF = {"false", "0", "no", "off"}
#: connections kept per cluster (concurrent pod deletions use up to this many; the API server's etcd
#: batches concurrent writes, so 64 in flight delete ~1.4x faster than 32 on a 2-core test cluster)
POOL_SIZE = 64


@dataclass(frozen=True)
class Cluster:
    """A way to reach one cluster: kubeconfig path(s) + context, or in-cluster
    (``kubeconfig == ""``)."""

    kubeconfig: str
    context: str
    verify_tls: bool = True

    def describe(self) -> str:
        """``context 'ctx' of /path/kubeconfig`` (for error messages)."""
        if not self.kubeconfig:
            return "in-cluster service account"
        return f"context '{self.context}' of {self.kubeconfig}"

    def as_spec(self) -> dict[str, Any]:
        """What a fault spec (and so the ledger) keeps: paths and names only, no credentials."""
        return {
            "kubeconfig": self.kubeconfig,
            "context": self.context,
            "verify_tls": self.verify_tls,
        }

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Cluster:
        """The cluster a fault spec (or ledger record spec) names."""
        return cls(
            str(spec.get("kubeconfig", "")),
            str(spec.get("context", "")),
            bool(spec.get("verify_tls", True)),
        )


def _lookup(
    key_conf: str | None,
    key_env: str,
    configuration: dict[str, Any] | None,
    secrets: dict[str, Any] | None,
) -> tuple[str, str] | None:
    """(value, where) from configuration, then secrets, then the environment."""
    if key_conf and configuration and configuration.get(key_conf):
        return str(configuration[key_conf]), f"configuration {key_conf}"
    if secrets and secrets.get(key_env):
        return str(secrets[key_env]), f"secret {key_env}"
    if os.environ.get(key_env):
        return os.environ[key_env], f"${key_env}"
    return None


def _in_pod() -> bool:
    if os.environ.get("CHAOSTOOLKIT_IN_POD", "").lower() == "true":
        return True
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and SA_TOKEN.is_file()


def _read_kubeconfigs(paths: list[Path], where: str) -> tuple[dict[str, Any], str]:
    """(contexts by name, current-context) merged like kubectl: the first file to set a value
    wins."""
    import yaml

    contexts: dict[str, Any] = {}
    current = ""
    for path in paths:
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except OSError as exc:
            raise InvalidArgument(
                "kubeconfig", f"cannot read {path} (from {where}): {exc.strerror or exc}"
            ) from None
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
            raise InvalidArgument(
                "kubeconfig", f"{path} (from {where}) is not valid YAML: {first}"
            ) from None
        if not isinstance(doc, dict):
            raise InvalidArgument(
                "kubeconfig", f"{path} (from {where}) is not a kubeconfig (expected a mapping)"
            )
        for item in doc.get("contexts") or []:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                contexts.setdefault(item["name"], item.get("context") or {})
        current = current or str(doc.get("current-context") or "")
    return contexts, current


def resolve_cluster(
    configuration: dict[str, Any] | None = None, secrets: dict[str, Any] | None = None
) -> Cluster:
    """The cluster an activity targets (see the module docstring); one-line errors, no network."""
    found = _lookup(CONF_PATH, ENV_KUBECONFIG, configuration, secrets)
    verify = _lookup(None, ENV_VERIFY, configuration, secrets)
    verify_tls = verify is None or verify[0].strip().lower() not in _OFF
    if found is None:
        default = Path(DEFAULT_PATH).expanduser()
        if default.is_file():
            found = (str(default), DEFAULT_PATH)
        elif _in_pod():
            return Cluster("", "", verify_tls)
        else:
            raise InvalidArgument(
                "kubeconfig",
                "no kubeconfig found: set KUBECONFIG or the experiment's "
                f"configuration {CONF_PATH} ({DEFAULT_PATH} does not "
                "exist and this is not a pod)",
            )
    text, where = found
    paths = [Path(p).expanduser().absolute() for p in text.split(os.pathsep) if p.strip()]
    existing = [p for p in paths if p.is_file()]
    if not existing:
        shown = ", ".join(str(p) for p in paths) or repr(text)
        raise InvalidArgument("kubeconfig", f"kubeconfig {shown} (from {where}) does not exist")
    contexts, current = _read_kubeconfigs(existing, where)
    names = ", ".join(sorted(contexts)) or "none"
    chosen = _lookup(CONF_CONTEXT, ENV_CONTEXT, configuration, secrets)
    if chosen is not None:
        context, ctx_where = chosen
        if context not in contexts:
            raise InvalidArgument(
                "kubernetes_context",
                f"context '{context}' (from {ctx_where}) is not in {text} (contexts: {names})",
            )
    elif current:
        context = current
        if context not in contexts:
            raise InvalidArgument(
                "kubernetes_context",
                f"current-context '{context}' of {text} names no context (contexts: {names})",
            )
    else:
        raise InvalidArgument(
            "kubernetes_context",
            f"{text} sets no current-context; set "
            f"{ENV_CONTEXT} or configuration {CONF_CONTEXT} "
            f"(contexts: {names})",
        )
    joined = os.pathsep.join(str(p) for p in existing)
    return Cluster(joined, context, verify_tls)


_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


def _mtimes(cluster: Cluster) -> tuple[float, ...]:
    out = []
    for part in cluster.kubeconfig.split(os.pathsep) if cluster.kubeconfig else [str(SA_TOKEN)]:
        try:
            out.append(os.stat(part).st_mtime)
        except OSError:
            out.append(0.0)
    return tuple(out)


def api_client(cluster: Cluster) -> Any:
    """A ``kubernetes.client.ApiClient`` for ``cluster`` (cached; rebuilt when a kubeconfig
    changes).

    Each cluster gets its own ``Configuration`` object: the stock client's process-wide default
    (which chaostoolkit-kubernetes mutates) is never read or written.
    """
    key = (cluster, _mtimes(cluster))
    with _clients_lock:
        cached = _clients.get(key)
        if cached is not None:
            return cached
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    loaders: Any = config  # the client's config loaders are untyped
    cfg = client.Configuration()
    try:
        if cluster.kubeconfig:
            loaders.load_kube_config(
                config_file=cluster.kubeconfig,
                context=cluster.context,
                client_configuration=cfg,
                persist_config=False,
            )
        else:
            loaders.load_incluster_config(client_configuration=cfg)
    except ConfigException as exc:
        field = "kubeconfig" if cluster.kubeconfig else "in-cluster"
        raise InvalidArgument(
            field, f"{cluster.describe()}: {' '.join(str(exc).split())}"
        ) from None
    if not cluster.verify_tls:
        logger.warning("chaosguard: TLS verification of %s is OFF (%s=false)", cfg.host, ENV_VERIFY)
        cfg.verify_ssl = False
    elif not cfg.verify_ssl:
        logger.warning(
            "chaosguard: TLS verification of %s is OFF (insecure-skip-tls-verify in %s)",
            cfg.host,
            cluster.kubeconfig,
        )
    cfg.connection_pool_maxsize = POOL_SIZE
    api = client.ApiClient(cfg)
    with _clients_lock:
        for old in [k for k in _clients if k[0] == cluster]:
            _clients.pop(old)
        return _clients.setdefault(key, api)


def forget_clients() -> None:
    """Drop every cached ``ApiClient`` (the next :func:`api_client` call builds a new one)."""
    with _clients_lock:
        _clients.clear()
