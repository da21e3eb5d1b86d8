"""The HTML report renders in a real headless Chromium (Debian package): a non-blank page with the
key text."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from chaosguard.journal.report import render_report
from tests.unit.journal.samples import guarded_journal, met_journal

CHROMIUM_HINT = "apt-get install chromium (make test does it)"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def _chromium() -> str:
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(binary).is_file():
        pytest.fail(f"Chromium not found ({binary}): {CHROMIUM_HINT}", pytrace=False)
    return binary


def _start(
    binary: str, *args: str
) -> tuple[subprocess.Popen[bytes], tempfile.TemporaryDirectory[str]]:
    profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
    proc = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile.name}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return proc, profile


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    binary = _chromium()
    report = render_report(
        [guarded_journal(), met_journal()], tmp_path / "report.html", "Nightly chaos run"
    )
    url = report.resolve().as_uri()
    shot = tmp_path / "shot.png"
    # both at once: two cores, and each Chromium takes about a second
    shooter, p1 = _start(binary, f"--screenshot={shot}", "--window-size=1200,2000", url)
    dumper, p2 = _start(binary, "--dump-dom", url)
    try:
        dom_out, dom_err = dumper.communicate(timeout=90)
        _, shot_err = shooter.communicate(timeout=90)
    finally:
        for proc in (shooter, dumper):
            if proc.poll() is None:
                proc.kill()
        p1.cleanup()
        p2.cleanup()
    assert dumper.returncode == 0, dom_err.decode()[-2000:]
    assert shooter.returncode == 0 and shot.exists(), shot_err.decode()[-2000:]

    dom = dom_out.decode()
    for text in (
        "Nightly chaos run",
        "aborted",
        "met",
        "p95-latency",
        "error-rate",
        "Latency SLO holds while latency escalates",
        "sha256:" + "ab" * 32,
        "<svg",
    ):
        assert text in dom, text

    pixels = imread(str(shot))[..., :3]
    assert pixels.shape[:2] == (2000, 1200)
    assert float(pixels.std()) > 0.05, "the screenshot is blank"
    not_white = (pixels < 0.95).any(axis=-1).mean()
    assert not_white > 0.03, f"only {not_white:.1%} of the page is drawn"
    badge = np.array([0xB7, 0x1C, 0x1C]) / 255  # the 'aborted' badge colour
    assert (np.abs(pixels - badge).max(axis=-1) < 0.08).sum() > 200, (
        "the aborted badge is not drawn"
    )
    shade = np.array([252, 235, 213]) / 255  # the fault window: #f2a541 at 22 % over white
    assert (np.abs(pixels - shade).max(axis=-1) < 0.03).sum() > 5000, (
        "no shaded fault window on screen"
    )


def _render(binary: str, url: str, shot: Path, height: int) -> str:
    """Screenshot ``url`` to ``shot`` and return its DOM (both Chromiums at once)."""
    shooter, p1 = _start(binary, f"--screenshot={shot}", f"--window-size=1200,{height}", url)
    dumper, p2 = _start(binary, "--dump-dom", url)
    try:
        dom_out, dom_err = dumper.communicate(timeout=90)
        _, shot_err = shooter.communicate(timeout=90)
    finally:
        for proc in (shooter, dumper):
            if proc.poll() is None:
                proc.kill()
        p1.cleanup()
        p2.cleanup()
    assert dumper.returncode == 0, dom_err.decode()[-2000:]
    assert shooter.returncode == 0 and shot.exists(), shot_err.decode()[-2000:]
    return dom_out.decode()


def test_report_shows_the_baseline_band_and_canary_in_chromium(tmp_path: Path) -> None:
    from chaosguard.guard.evidence import canary_of
    from tests.unit.journal.samples import canary_journal

    binary = _chromium()
    journal = canary_journal(sd=8.0)  # a band wide enough to count its pixels
    section = journal["chaosguard"]
    start = section["ledger"][0]["created_at"]
    for r in section["readings"]:  # the detector flagged the readings of the latency step
        if r["guard"] == "p95-latency" and r["read_at"] > start and r["value"] is not None:
            r["anomalous"] = r["value"] > 60
    section["canary"] = canary_of(section, journal)
    assert section["canary"]["verdict"] == "fail"
    report = render_report([journal], tmp_path / "report.html", "Canary run")
    shot = tmp_path / "shot.png"
    dom = _render(binary, report.resolve().as_uri(), shot, 1600)

    for text in ("Canary analysis", "High", "failing", "score 50/100", "baseline-band"):
        assert text in dom, text
    assert dom.count('baseline-band"') == 2, "one band per guard panel"
    assert "anomaly-marks" in dom

    pixels = imread(str(shot))[..., :3]
    band = np.array([236, 228, 243]) / 255  # the band: #9467bd at 18 % over white
    drawn = (np.abs(pixels - band).max(axis=-1) < 0.03).sum()
    assert drawn > 1500, f"the baseline band is not on screen ({drawn} pixels)"
    diamond = np.array([0x94, 0x67, 0xBD]) / 255  # the anomaly marks, opaque
    marked = (np.abs(pixels - diamond).max(axis=-1) < 0.06).sum()
    assert marked > 300, f"no anomaly marks on screen ({marked} pixels)"
