"""The kill switch from env, file and URL (a real HTTP server on loopback); unreadable = on."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chaosguard.policy import Policy, kill_switch_state, register_reader
from chaosguard.policy.killswitch import reader_for


class _Switch(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        status, body, delay = self.server.answers.get(self.path, (404, b"", 0.0))  # type: ignore[attr-defined]
        if delay:
            time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def switch_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Switch)
    server.daemon_threads = True
    server.answers = {  # type: ignore[attr-defined]
        "/on": (200, b"on\n", 0.0),
        "/off": (200, b"off", 0.0),
        "/true": (200, b"TRUE", 0.0),
        "/zero": (200, b"0", 0.0),
        "/json-on": (200, b'{"enabled": true, "by": "sre"}', 0.0),
        "/json-off": (200, b'{"enabled": false}', 0.0),
        "/garbage": (200, b"maybe?", 0.0),
        "/error": (503, b"off", 0.0),
        "/slow": (200, b"off", 2.0),
        "/empty": (200, b"", 0.0),
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def policy(**kill_switch: object) -> Policy:
    return Policy.model_validate({"kill_switch": kill_switch})


def test_nothing_configured_is_off() -> None:
    assert kill_switch_state(Policy()) == (False, "", "no kill switch configured")


def test_env(monkeypatch: pytest.MonkeyPatch) -> None:
    p = policy(env="CG_TEST_STOP")
    monkeypatch.delenv("CG_TEST_STOP", raising=False)
    assert not kill_switch_state(p).on
    for value, on in [
        ("1", True),
        ("yes please", True),
        ("off", False),
        ("FALSE", False),
        ("", False),
    ]:
        monkeypatch.setenv("CG_TEST_STOP", value)
        state = kill_switch_state(p)
        assert state.on is on, value
    monkeypatch.setenv("CG_TEST_STOP", "1")
    on, source, reason = kill_switch_state(p)
    assert on and source == "env CG_TEST_STOP" and "$CG_TEST_STOP is set" in reason


def test_file(tmp_path: Path) -> None:
    stop = tmp_path / "STOP"
    p = policy(file=str(stop))
    assert not kill_switch_state(p).on
    stop.touch()
    assert kill_switch_state(p) == (True, f"file {stop}", f"{stop} exists")
    stop.write_text("off\n")
    assert not kill_switch_state(p).on
    stop.write_text("stop everything")
    assert kill_switch_state(p).on
    stop.unlink()
    stop.mkdir()  # exists but cannot be read as a file: fail closed
    assert "fail closed" in kill_switch_state(p).reason


@pytest.mark.parametrize(
    ("path", "on"),
    [
        ("/on", True),
        ("/true", True),
        ("/json-on", True),
        ("/off", False),
        ("/zero", False),
        ("/json-off", False),
        ("/garbage", True),
        ("/error", True),
        ("/missing", True),
        ("/empty", True),
    ],
)
def test_url_answers(switch_server: str, path: str, on: bool) -> None:
    state = kill_switch_state(policy(url=switch_server + path, timeout_s=1))
    assert state.on is on, state.reason
    if on and path not in ("/on", "/true", "/json-on"):
        assert "fail closed" in state.reason


def test_url_timeout_is_short_and_counts_as_on(switch_server: str) -> None:
    started = time.monotonic()
    state = kill_switch_state(policy(url=switch_server + "/slow", timeout_s=0.2))
    assert state.on and "fail closed" in state.reason
    assert time.monotonic() - started < 1.5


def test_unreachable_url_is_on() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    state = kill_switch_state(policy(url=f"http://127.0.0.1:{port}/switch", timeout_s=0.5))
    assert state.on and "unreachable" in state.reason and "fail closed" in state.reason


def test_any_source_on_wins_and_cheap_sources_come_first(
    switch_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CG_TEST_STOP", "1")
    p = policy(env="CG_TEST_STOP", file=str(tmp_path / "none"), url=switch_server + "/off")
    assert kill_switch_state(p).source == "env CG_TEST_STOP"
    monkeypatch.delenv("CG_TEST_STOP")
    state = kill_switch_state(p)
    assert not state.on and state.reason.startswith("off: ") and "says off" in state.reason


def test_configmap_without_a_reachable_cluster_fails_closed(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    p = policy(configmap={"namespace": "ops", "name": "chaos", "key": "stop"})
    state = kill_switch_state(p)
    assert state.on and "kubeconfig" in state.reason and "fail closed" in state.reason
    seen = []

    def fake_reader(ref: object, timeout_s: float) -> tuple[bool, str]:
        seen.append((ref, timeout_s))
        return False, "configmap says off"

    previous = register_reader("configmap", fake_reader)
    try:
        assert reader_for("configmap") is fake_reader
        assert not kill_switch_state(p).on
        assert seen[0][1] == 1.0

        def broken(ref: object, timeout_s: float) -> tuple[bool, str]:
            raise RuntimeError("apiserver down")

        register_reader("configmap", broken)
        state = kill_switch_state(p)
        assert state.on and "apiserver down" in state.reason
    finally:
        assert previous is not None
        register_reader("configmap", previous)


def test_file_permission_denied_anywhere_is_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Tests run as root (permission bits do not apply): simulate EACCES on the directory."""
    import errno

    from chaosguard.policy import killswitch

    def denied(path: object, *args: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(killswitch.os, "open", denied)
    state = kill_switch_state(policy(file=str(tmp_path / "locked" / "stop")))
    assert state.on and "Permission denied" in state.reason and "fail closed" in state.reason
    monkeypatch.undo()
    assert not kill_switch_state(policy(file=str(tmp_path / "locked" / "stop"))).on


def test_file_that_is_a_fifo_does_not_hang(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "stop"
    os.mkfifo(fifo)
    assert kill_switch_state(policy(file=str(fifo))).on
