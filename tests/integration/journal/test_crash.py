"""A crash while publishing loses nothing: the directory copy is written (and synced) before
anything else.

A child process publishes; the test SIGKILLs it (a) while the webhook request is in flight, (b)
while the directory copy itself is being written. Afterwards ``journal.json`` is either complete,
valid and redacted, or (b only) not there at all — never half written.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from chaosguard.journal.redact import redact_journal
from tests.helpers import ROOT, wait_until
from tests.integration.journal.conftest import Receiver, Tls
from tests.unit.journal.samples import PLANTED, SECRET_ENV, guarded_journal, with_secrets

CHILD = textwrap.dedent("""
    import json, sys
    from chaosguard.journal.publish import publish_journal
    doc = json.load(open(sys.argv[1]))
    settings = json.load(open(sys.argv[2]))
    publish_journal(doc, settings)
    print("done", flush=True)
""")


def _child(
    tmp_path: Path, doc: dict[str, Any], publishers: list[dict[str, Any]]
) -> subprocess.Popen[bytes]:
    (tmp_path / "journal-in.json").write_text(json.dumps(doc))
    (tmp_path / "settings.json").write_text(json.dumps({"chaosguard": {"publishers": publishers}}))
    env = {**os.environ, **SECRET_ENV, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(tmp_path / "journal-in.json"),
            str(tmp_path / "settings.json"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def test_killed_mid_webhook_the_directory_copy_is_complete(
    tmp_path: Path, receiver: Receiver, tls: Tls
) -> None:
    receiver.hang = True
    doc = with_secrets()
    proc = _child(
        tmp_path,
        doc,
        [
            {
                "type": "webhook",
                "url": receiver.url,
                "verify": str(tls.ca),
                "timeout_s": 60,
                "attempts": 1,
            },
            {"type": "directory", "root": str(tmp_path / "runs")},
        ],
    )
    try:
        assert receiver.got_request.wait(timeout=30), (
            proc.stderr.read().decode() if proc.poll() else "no request"
        )
    finally:
        _kill(proc)
    (run_dir,) = list((tmp_path / "runs").iterdir())
    assert sorted(p.name for p in run_dir.iterdir()) == ["journal.json"]  # no temp file either
    text = (run_dir / "journal.json").read_text()
    assert json.loads(text) == redact_journal(doc, env=SECRET_ENV)
    assert [k for k, v in PLANTED.items() if v in text] == []


def _big_journal() -> dict[str, Any]:
    doc = guarded_journal()
    blob = "x" * 10_000
    # ~20 MB: a write worth interrupting
    doc["run"][0]["output"] = {f"k{i}": blob for i in range(2_000)}
    return doc


def test_killed_while_writing_the_copy_never_leaves_half_a_journal(tmp_path: Path) -> None:
    doc = _big_journal()
    seen = []
    for i in range(3):
        root = tmp_path / f"runs{i}"
        proc = _child(tmp_path, doc, [{"type": "directory", "root": str(root)}])
        try:
            assert wait_until(
                lambda root=root: root.exists() and any(root.iterdir()), timeout=60, step=0.002
            )
            wait_until(lambda: False, timeout=random.uniform(0, 0.05))
        finally:
            _kill(proc)
        (run_dir,) = list(root.iterdir())
        final = run_dir / "journal.json"
        if final.exists():
            assert json.loads(final.read_text())["chaosguard"]["outcome"] == "aborted"
            seen.append("complete")
        else:
            seen.append("absent")
        leftovers = [p.name for p in run_dir.iterdir() if p.name != "journal.json"]
        assert all(n.startswith(".journal.json.") and n.endswith(".tmp") for n in leftovers), (
            leftovers
        )
    assert "absent" in seen, (
        f"never killed before the rename ({seen}): the test did not test anything"
    )
