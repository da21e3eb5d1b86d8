"""Raw JSON requests to the API server, errors converted at the boundary into one-line chaosguard
errors.

The official client builds a model object for every item of every answer, and reloads the
kubeconfig's credentials on every request; a pod kill needs a few fields of one list and nothing of
the answers to its deletions. This module keeps the client for what it does well — kubeconfig auth,
TLS, the urllib3 connection pool — and reads and writes plain JSON; :meth:`Api.delete_many` is the
concurrent hot path.

Errors:

- 403 → :class:`~chaosguard.errors.Refused` carrying the API server's own sentence, which names the
  user, the verb, the resource and the namespace (``pods is forbidden: User "…" cannot delete
  resource "pods" … in the namespace "x"``).
- 401 → :class:`ApiError` (credentials of the context rejected).
- 422 → :class:`ApiError` with ``causes`` (field, message) for callers to name the bad field.
- unreachable, TLS failure, timeout → :class:`ApiError` (status 0) naming the server and the
  context.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from chaosguard.errors import ChaosGuardError, Refused
from chaosguard.kube.config import Cluster, api_client

__all__ = ["Api", "ApiError"]

DEFAULT_TIMEOUT = 15.0
#: what :meth:`Api.delete_many` returns (named here: inside ``Api``, ``list`` is the method)
_Answers = list[tuple[int, ChaosGuardError | None, float]]


class ApiError(ChaosGuardError):
    """The API server said no (or could not be reached: ``status == 0``)."""

    def __init__(
        self,
        message: str,
        status: int = 0,
        reason: str = "",
        causes: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.causes = list(causes)


def _status_of(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except ValueError:
        return {"message": data.decode("utf-8", "replace")[:300]}
    return doc if isinstance(doc, dict) else {}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class Api:
    """JSON requests against one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._client = api_client(cluster)

    @property
    def host(self) -> str:
        """The API server URL."""
        return str(self._client.configuration.host)

    def request(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float = DEFAULT_TIMEOUT,
        content_type: str = "application/json",
        want_body: bool = True,
    ) -> tuple[int, dict[str, Any]]:
        """``(status, JSON body)``; raises :class:`ApiError` / :class:`Refused` for anything but
        2xx/404/409.

        ``want_body=False`` skips parsing a successful answer (``{}`` is returned in its place).
        """
        import urllib3
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        params = [(k, v) for k, v in (query or {}).items() if v is not None and v != ""]
        try:
            method, url, headers, body, _ = self._client.param_serialize(
                method,
                path,
                query_params=params,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            resp = self._client.call_api(method, url, headers, body, _request_timeout=timeout)
            data = resp.read()
        except ApiException as exc:  # status 0: TLS failure
            raise self._unreachable(exc.reason or exc) from None
        except urllib3.exceptions.HTTPError as exc:
            raise self._unreachable(getattr(exc, "reason", None) or exc) from None
        return self._answer(method, path, int(resp.status), data, want_body)

    def _unreachable(self, reason: object) -> ApiError:
        return ApiError(
            f"cannot reach the Kubernetes API at {self.host} ({self.cluster.describe()}): "
            f"{_one_line(str(reason))}",
            0,
            "unreachable",
        )

    def _answer(
        self, method: str, path: str, status: int, data: bytes, want_body: bool
    ) -> tuple[int, dict[str, Any]]:
        doc = _status_of(data) if data and (want_body or not 200 <= status < 300) else {}
        if 200 <= status < 300 or status in (404, 409):
            return status, doc
        self._raise(status, doc, method, path)
        raise AssertionError("unreachable")  # pragma: no cover

    def _raise(self, status: int, doc: dict[str, Any], method: str, path: str) -> None:
        message = _one_line(doc.get("message") or doc.get("reason") or f"HTTP {status}")
        reason = str(doc.get("reason") or "")
        if status == 403:
            raise Refused(
                f"refused by Kubernetes RBAC (HTTP 403, {self.cluster.describe()}): {message}"
            )
        if status == 401:
            raise ApiError(
                f"the Kubernetes API at {self.host} rejected the credentials of "
                f"{self.cluster.describe()} (HTTP 401): {message}",
                status,
                reason,
            )
        causes = [
            (str(c.get("field") or ""), _one_line(c.get("message") or ""))
            for c in (doc.get("details") or {}).get("causes") or []
            if isinstance(c, dict)
        ]
        raise ApiError(
            f"Kubernetes API {method} {path} failed (HTTP {status}): {message}",
            status,
            reason,
            causes,
        )

    # -- shortcuts -------------------------------------------------------------------------------
    def get(
        self, path: str, query: Mapping[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any] | None:
        """The object at ``path``, or ``None`` when it does not exist (404)."""
        status, doc = self.request("GET", path, query, timeout=timeout)
        return None if status == 404 else doc

    def list(
        self, path: str, query: Mapping[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> list[dict[str, Any]] | None:
        """The ``items`` of a list (``None`` when the resource type or namespace path is
        unknown)."""
        doc = self.get(path, query, timeout)
        return None if doc is None else list(doc.get("items") or [])

    def create(
        self,
        path: str,
        body: dict[str, Any],
        dry_run: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """POST ``body``; with ``dry_run`` the server validates (schema, admission) and stores
        nothing."""
        status, doc = self.request(
            "POST", path, {"dryRun": "All"} if dry_run else None, body, timeout
        )
        if status in (404, 409):
            self._raise(status, doc, "POST", path)
        return doc

    def delete(
        self, path: str, body: dict[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> tuple[int, dict[str, Any]]:
        """DELETE; ``(status, body)`` where 404 means already gone and 409 a failed precondition.

        The body of a successful deletion (the deleted object) is not parsed.
        """
        return self.request("DELETE", path, body=body, timeout=timeout, want_body=False)

    def delete_many(
        self,
        items: Sequence[tuple[str, dict[str, Any]]],
        workers: int = 64,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> _Answers:
        """DELETE every ``(path, body)`` concurrently; ``[(status, error or None, time answered)]``
        in order.

        The hot path of a pod kill: authentication is resolved once for the batch (the stock client
        reloads the kubeconfig's credentials on every request), requests go straight to the client's
        urllib3 pool (as many connections as workers, kept alive), successful answers are not
        parsed. A failure is returned, not raised (status 0 when the server could not be reached).
        """
        import json
        import time
        from concurrent.futures import ThreadPoolExecutor

        import urllib3
        from kubernetes.client.exceptions import ApiException

        try:
            _, _, headers, _, _ = self._client.param_serialize(
                "DELETE",
                "/",
                header_params={"Accept": "application/json", "Content-Type": "application/json"},
                auth_settings=["BearerToken"],
            )
        except ApiException as exc:
            raise self._unreachable(exc.reason or exc) from None
        pool, host = self._client.rest_client.pool_manager, self.host
        limit = urllib3.Timeout(total=timeout)

        def one(item: tuple[str, dict[str, Any]]) -> tuple[int, ChaosGuardError | None, float]:
            path, body = item
            try:
                resp = pool.request(
                    "DELETE",
                    host + path,
                    body=json.dumps(body).encode(),
                    headers=headers,
                    timeout=limit,
                    preload_content=True,
                )
                status, data = int(resp.status), resp.data
                self._answer("DELETE", path, status, data, want_body=False)
                return status, None, time.time()
            except urllib3.exceptions.HTTPError as exc:
                return 0, self._unreachable(getattr(exc, "reason", None) or exc), time.time()
            except ChaosGuardError as exc:
                return getattr(exc, "status", 403), exc, time.time()

        workers = max(1, min(workers, len(items)))
        if workers == 1:
            return [one(item) for item in items]
        with ThreadPoolExecutor(workers, thread_name_prefix="chaosguard-delete") as pool_:
            return list(pool_.map(one, items))

    def can_i(self, verb: str, resource: str, namespace: str, group: str = "") -> tuple[bool, str]:
        """Whether we may ``verb`` ``resource`` in ``namespace`` (a SelfSubjectAccessReview)."""
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {
                    "namespace": namespace,
                    "verb": verb,
                    "group": group,
                    "resource": resource,
                }
            },
        }
        doc = self.create("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review)
        status = doc.get("status") or {}
        return bool(status.get("allowed")), str(status.get("reason") or "")
