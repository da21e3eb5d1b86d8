"""A real, local Kubernetes control plane for chaosguard's tests.

``TestCluster`` runs, in a private temp dir and on free loopback ports:

    etcd -> kube-apiserver (TLS, token auth, RBAC) -> kube-controller-manager
         -> kube-scheduler -> kwok (fakes nodes and the pod lifecycle)

then registers fake Node objects for kwok, installs the Chaos Mesh CRDs and writes
a kubeconfig (token auth, TLS verification ON against the apiserver's own
self-signed serving certificate).

There is no kubelet, kube-proxy, DNS or container runtime: nothing really runs in
the pods. kwok moves pods through Pending -> Running/Ready -> deleted according to
the Stage definitions in ``stages.yaml``. Chaos Mesh custom resources are stored
and validated against the CRD schema, but no Chaos Mesh controller/daemon acts on
them.

The binaries and assets come from ``scripts/k8s-test-bins`` (built from the Go
module proxy and cached under ``~/.cache/chaosguard/k8s/``). Only the standard
library is used; ``openssl`` must be on PATH (service-account key pair).

Every child process is started in its own session (process group) with
PR_SET_PDEATHSIG=SIGKILL, so it dies with the Python process that started it even
if ``stop()`` never runs. (PDEATHSIG fires when the *thread* that spawned the child
exits, so start clusters from a long-lived thread, e.g. the main thread as pytest does.)
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["BINARIES", "ClusterError", "KubectlError", "TestCluster", "bin_dir"]

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = REPO_ROOT / "scripts" / "k8s-test-bins"
BINARIES = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kwok",
)
#: set to a bin dir to bypass scripts/k8s-test-bins --print-dir
BIN_DIR_ENV = "CHAOSGUARD_K8S_BIN_DIR"
#: set to 1 to keep the cluster's temp dir (logs, certs, etcd data) after stop()
KEEP_ENV = "CHAOSGUARD_K8S_KEEP"

LOG_TAIL_LINES = 40
TMP_PREFIX = "chaosguard-k8s-"


class ClusterError(RuntimeError):
    """The test cluster could not be started (or a component died)."""


class KubectlError(subprocess.CalledProcessError):
    def __str__(self) -> str:
        return (
            f"kubectl {' '.join(self.cmd[1:])!s} exited {self.returncode}:\n"
            f"{(self.stderr or '').strip()}\n{(self.stdout or '').strip()}"
        ).strip()


# --------------------------------------------------------------------------
# binaries
# --------------------------------------------------------------------------
def bin_dir(build: bool = False) -> Path:
    """Return the directory holding the six test binaries.

    Runs ``scripts/k8s-test-bins --print-dir`` (or, with ``build=True``, the full
    build, which takes roughly 8-10 minutes on 2 cores when cold). Raises ClusterError with
    instructions if anything is missing, so tests fail loudly instead of skipping.
    """
    override = os.environ.get(BIN_DIR_ENV)
    if override:
        path = Path(override)
    else:
        if not BUILD_SCRIPT.is_file():
            raise ClusterError(f"{BUILD_SCRIPT} not found")
        cmd = [str(BUILD_SCRIPT)] + ([] if build else ["--print-dir"])
        proc = subprocess.run(
            cmd,
            check=False,
            stdout=subprocess.PIPE,
            stderr=None if build else subprocess.PIPE,
            text=True,
        )
        if proc.returncode != 0 or not proc.stdout.strip():
            raise ClusterError(
                f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr or ''}"
            )
        path = Path(proc.stdout.strip().splitlines()[-1])
    missing = [b for b in BINARIES if not os.access(path / b, os.X_OK)]
    missing += [a for a in ("crd.yaml", "stages.yaml") if not (path.parent / a).is_file()]
    if missing:
        raise ClusterError(
            f"Kubernetes test binaries/assets missing in {path} (or its parent): "
            f"{', '.join(missing)}.\nBuild them once with `{BUILD_SCRIPT.relative_to(REPO_ROOT)}` "
            "(cold build ~8-10 min on 2 cores, cached afterwards)"
            + (f", or fix ${BIN_DIR_ENV}" if override else "")
            + "."
        )
    return path


# --------------------------------------------------------------------------
# process helpers
# --------------------------------------------------------------------------
_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _prctl = _libc.prctl
except (OSError, AttributeError):  # pragma: no cover - non-Linux
    _prctl = None


def _die_with_parent(parent_pid: int):
    def preexec() -> None:  # runs in the child between fork and exec
        if _prctl is not None and _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            os._exit(126)
        if os.getppid() != parent_pid:  # parent died before prctl took effect
            os._exit(125)

    return preexec


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        data = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(data[-lines:]) or "(empty log)"


class _Proc:
    def __init__(self, name: str, popen: subprocess.Popen, log: Path):
        self.name, self.popen, self.log = name, popen, log

    def alive(self) -> bool:
        return self.popen.poll() is None


# --------------------------------------------------------------------------
# the cluster
# --------------------------------------------------------------------------
class TestCluster:
    """A throwaway control plane. Use as a context manager or call start()/stop()."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(
        self,
        bins: Path | str | None = None,
        nodes: int = 1,
        install_chaos_mesh_crds: bool = True,
        startup_timeout: float = 120.0,
    ):
        self.bin_dir = Path(bins) if bins is not None else bin_dir()
        self.assets_dir = self.bin_dir.parent
        self.node_names = [f"kwok-node-{i}" for i in range(nodes)]
        self.install_chaos_mesh_crds = install_chaos_mesh_crds
        self.startup_timeout = startup_timeout
        self.token = secrets.token_hex(24)
        self.tmp: Path | None = None
        self.kubeconfig: Path | None = None
        self.server: str | None = None
        self.ca_file: Path | None = None
        self.startup_seconds: float | None = None
        self._procs: list[_Proc] = []
        self._ssl: ssl.SSLContext | None = None
        self._deadline = 0.0

    # -- public API ---------------------------------------------------------
    def __enter__(self) -> TestCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> TestCluster:
        if self.tmp is not None:
            raise ClusterError("cluster already started")
        t0 = time.monotonic()
        self._deadline = t0 + self.startup_timeout
        _remove_stale_tmp_dirs()
        self.tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX))
        (self.tmp / "owner.pid").write_text(f"{os.getpid()}\n")
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop()  # kill whatever did start; the exception carries the log tail
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        """Terminate every component (process-group kill, then wait) and remove the temp dir."""
        errors = []
        for proc in reversed(self._procs):  # kwok, scheduler, controllers, apiserver, etcd
            try:
                _terminate(proc)
            except ClusterError as e:  # pragma: no cover - SIGKILL does not fail in practice
                errors.append(str(e))
        self._procs = []
        if self.tmp is not None:
            if os.environ.get(KEEP_ENV) == "1":
                print(f"[k8s_cluster] keeping {self.tmp}")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        self._ssl = None
        atexit.unregister(self.stop)
        if errors:
            raise ClusterError("; ".join(errors))

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess:
        """Run the built kubectl against this cluster; returns the CompletedProcess (text).

        With check=True (default) a non-zero exit raises KubectlError carrying stderr.
        """
        if self.kubeconfig is None or self.tmp is None:
            raise ClusterError("cluster is not running")
        cmd = [
            str(self.bin_dir / "kubectl"),
            f"--kubeconfig={self.kubeconfig}",
            f"--cache-dir={self.tmp / 'kubectl-cache'}",
            *args,
        ]
        proc = subprocess.run(
            cmd,
            check=False,
            input=input,
            text=True,
            capture_output=True,
            timeout=timeout,
            env=self._child_env(),
        )
        if check and proc.returncode != 0:
            raise KubectlError(proc.returncode, cmd, proc.stdout, proc.stderr)
        return proc

    def kubectl_json(self, *args: str, **kw: Any) -> Any:
        """kubectl ... -o json, parsed."""
        return json.loads(self.kubectl(*args, "-o", "json", **kw).stdout)

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10) -> Any:
        """Minimal authenticated JSON request to the apiserver (TLS verified)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, context=self._ssl_context(), timeout=timeout) as r:
            raw = r.read()
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def logs(self, component: str, lines: int = LOG_TAIL_LINES) -> str:
        """Tail of a component's log (while the cluster is running)."""
        if self.tmp is None:
            return ""
        return _tail(self.tmp / "logs" / f"{component}.log", lines)

    # -- startup ------------------------------------------------------------
    def _start(self) -> None:
        assert self.tmp is not None
        tmp = self.tmp
        for d in ("logs", "pki", "etcd", "home", "kubectl-cache"):
            (tmp / d).mkdir(mode=0o700)
        for b in BINARIES:
            if not os.access(self.bin_dir / b, os.X_OK):
                raise ClusterError(f"missing binary {self.bin_dir / b}; run scripts/k8s-test-bins")
        stages = self.assets_dir / "stages.yaml"
        crds = self.assets_dir / "crd.yaml"
        for f in (stages, crds) if self.install_chaos_mesh_crds else (stages,):
            if not f.is_file():
                raise ClusterError(f"missing {f}; run scripts/k8s-test-bins")

        # service-account signing key pair + static token file
        sa_key, sa_pub = tmp / "pki" / "sa.key", tmp / "pki" / "sa.pub"
        _run_checked(["openssl", "genrsa", "-out", str(sa_key), "2048"], "openssl genrsa")
        _run_checked(
            ["openssl", "rsa", "-in", str(sa_key), "-pubout", "-out", str(sa_pub)], "openssl rsa"
        )
        tokens = tmp / "pki" / "tokens.csv"
        tokens.write_text(f'{self.token},admin,admin,"system:masters"\n')
        tokens.chmod(0o600)

        # etcd
        etcd_port, peer_port, api_port = _free_port(), _free_port(), _free_port()
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        peer_url = f"http://127.0.0.1:{peer_port}"
        etcd = self._spawn(
            "etcd",
            [
                "--name=test",
                f"--data-dir={tmp / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=test={peer_url}",
                "--unsafe-no-fsync=true",
                "--log-level=warn",
            ],
        )
        self._wait(etcd, "etcd /health", lambda: _http_ok(f"{etcd_url}/health"))

        # kube-apiserver (generates its own self-signed serving cert + CA in --cert-dir)
        cert_dir = tmp / "pki" / "apiserver"
        self.server = f"https://127.0.0.1:{api_port}"
        self.ca_file = cert_dir / "apiserver.crt"
        apiserver = self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers={etcd_url}",
                "--advertise-address=127.0.0.1",
                "--bind-address=127.0.0.1",
                f"--secure-port={api_port}",
                f"--cert-dir={cert_dir}",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={sa_pub}",
                f"--service-account-signing-key-file={sa_key}",
                "--authorization-mode=RBAC",
                f"--token-auth-file={tokens}",
                "--allow-privileged=true",
                "--profiling=false",
                "--v=1",
            ],
        )
        # apiserver.crt (serving cert + its CA) is written before apiserver.key
        self._wait(
            apiserver,
            "apiserver self-signed serving cert",
            lambda: (cert_dir / "apiserver.key").is_file(),
        )
        self._wait(apiserver, "apiserver /readyz", self._readyz_ok)
        self._write_kubeconfig()

        # controllers, scheduler, kwok
        kcm = self._spawn(
            "kube-controller-manager",
            [
                f"--kubeconfig={self.kubeconfig}",
                "--leader-elect=false",
                "--secure-port=0",
                f"--service-account-private-key-file={sa_key}",
                f"--root-ca-file={self.ca_file}",
                "--v=1",
            ],
        )
        self._spawn(
            "kube-scheduler",
            [f"--kubeconfig={self.kubeconfig}", "--leader-elect=false", "--secure-port=0", "--v=1"],
        )
        kwok = self._spawn(
            "kwok",
            [
                f"--kubeconfig={self.kubeconfig}",
                f"--config={self.assets_dir / 'stages.yaml'}",
                "--manage-all-nodes=true",
                "--cidr=10.0.1.0/24",
                "--node-ip=10.0.0.1",
            ],
        )

        # fake nodes for kwok (no NoSchedule taint, so ordinary pods land on them)
        for name in self.node_names:
            self._create_node(name)
        self._wait(kwok, "kwok marks the node(s) Ready", self._nodes_ready)
        self._wait(
            kcm,
            "kube-controller-manager creates the default ServiceAccount",
            lambda: self._exists("/api/v1/namespaces/default/serviceaccounts/default"),
        )
        self._check_alive()  # scheduler has no health port (--secure-port=0); at least alive

        if self.install_chaos_mesh_crds:
            # `create`, not client-side `apply`: the CRDs exceed the 256 KiB annotation limit
            self.kubectl("create", "-f", str(crds), timeout=180)
            self.kubectl(
                "wait",
                "--for=condition=Established",
                "crd",
                "--all",
                f"--timeout={max(5, int(self._deadline - time.monotonic()))}s",
            )

    def _spawn(self, name: str, args: Sequence[str]) -> _Proc:
        assert self.tmp is not None
        log = self.tmp / "logs" / f"{name}.log"
        with open(log, "ab") as fh:
            popen = subprocess.Popen(
                [str(self.bin_dir / name), *args],
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                cwd=self.tmp,
                env=self._child_env(),
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),
                close_fds=True,
            )
        proc = _Proc(name, popen, log)
        self._procs.append(proc)
        return proc

    def _child_env(self) -> dict[str, str]:
        assert self.tmp is not None
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("KUBE", "ETCD", "KWOK")) and k not in ("HOME",)
        }
        env["HOME"] = str(self.tmp / "home")
        return env

    def _wait(self, proc: _Proc, what: str, ok, interval: float = 0.2) -> None:
        last_exc: BaseException | None = None
        while True:
            self._check_alive()
            try:
                if ok():
                    return
            except (OSError, ValueError, subprocess.SubprocessError) as e:  # not up yet
                last_exc = e
            if time.monotonic() > self._deadline:
                raise ClusterError(
                    f"timed out after {self.startup_timeout:.0f}s waiting for {what}"
                    + (f" (last error: {last_exc})" if last_exc else "")
                    + f"\n--- tail of {proc.name} log ---\n{_tail(proc.log)}"
                )
            time.sleep(interval)

    def _check_alive(self) -> None:
        for p in self._procs:
            if not p.alive():
                raise ClusterError(
                    f"{p.name} exited with code {p.popen.returncode} during startup"
                    f"\n--- tail of {p.name} log ---\n{_tail(p.log)}"
                )

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            assert self.ca_file is not None
            ctx = ssl.create_default_context(cafile=str(self.ca_file))
            ctx.check_hostname = True  # the cert carries IP SAN 127.0.0.1
            self._ssl = ctx
        return self._ssl

    def _readyz_ok(self) -> bool:
        try:
            return self.api("GET", "/readyz", timeout=5) == "ok"
        except urllib.error.HTTPError:
            return False  # 500 while post-start hooks finish

    def _exists(self, path: str) -> bool:
        try:
            self.api("GET", path)
            return True
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return False
            raise

    def _nodes_ready(self) -> bool:
        for name in self.node_names:
            node = self.api("GET", f"/api/v1/nodes/{name}")
            conds = node.get("status", {}).get("conditions") or []
            if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds):
                return False
        return True

    def _create_node(self, name: str) -> None:
        self.api(
            "POST",
            "/api/v1/nodes",
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {
                        "kwok.x-k8s.io/node": "fake",
                        "node.alpha.kubernetes.io/ttl": "0",
                    },
                    "labels": {
                        "kubernetes.io/arch": "amd64",
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/role": "agent",
                        "node-role.kubernetes.io/agent": "",
                        "type": "kwok",
                    },
                },
                "spec": {},
                "status": {
                    "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                    "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                },
            },
        )

    def _write_kubeconfig(self) -> None:
        assert self.tmp is not None and self.server and self.ca_file
        self.kubeconfig = self.tmp / "kubeconfig"
        # JSON is valid YAML and is what clientcmd parses into anyway.
        cfg = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "chaosguard-test",
                    "cluster": {
                        "server": self.server,
                        "certificate-authority": str(self.ca_file),
                    },
                }
            ],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": "chaosguard-test",
                    "context": {"cluster": "chaosguard-test", "user": "admin"},
                }
            ],
            "current-context": "chaosguard-test",
        }
        self.kubeconfig.write_text(json.dumps(cfg, indent=2) + "\n")
        self.kubeconfig.chmod(0o600)


def _terminate(proc: _Proc, grace: float = 5.0) -> None:
    """SIGTERM the child's process group, SIGKILL after `grace`, always reap."""
    p = proc.popen
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(p.pid, sig)  # start_new_session => pgid == pid
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=wait)
            # the leader is gone; make sure nothing else in its group survives
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        except subprocess.TimeoutExpired:
            continue
    raise ClusterError(f"{proc.name} (pid {p.pid}) did not exit after SIGKILL")


def _remove_stale_tmp_dirs() -> None:
    """Remove temp dirs left by clusters whose Python process was killed (SIGKILL etc.).

    Their components already died with it (PDEATHSIG); only the files remain.
    """
    for d in Path(tempfile.gettempdir()).glob(TMP_PREFIX + "*"):
        try:
            pid = int((d / "owner.pid").read_text().strip())
        except (OSError, ValueError):
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(d, ignore_errors=True)


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.status == 200


def _run_checked(cmd: Iterable[str], what: str) -> None:
    cmd = list(cmd)
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    except FileNotFoundError as e:
        raise ClusterError(f"{what}: {e} (is it installed?)") from e
    if proc.returncode != 0:
        raise ClusterError(f"{what} failed: {proc.stderr.strip()}")
