"""The wheel ships what an installed chaosguard needs beyond its modules: the compiled schemas
(``chaosguard/compiled/_artifact.json``, package data) that every guarded run validates with.

The editable install the tests use reads the source tree, so it would never notice a wheel without
them; this builds the wheel (pip, as a user's ``pip install`` would), unpacks it and loads the
default policy from the unpacked copy alone, without the editable install's finder.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = "chaosguard/compiled/_artifact.json"


def _wheel(tmp_path: Path) -> Path:
    """Build the project's wheel from a copy of its sources (the work tree gets no build/)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "chaosguard", src / "chaosguard", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(src)],
        check=True,
        timeout=300,
    )
    (wheel,) = out.glob("chaosguard-*.whl")
    return wheel


def test_the_wheel_ships_the_compiled_schemas_and_an_install_of_it_validates(tmp_path) -> None:
    wheel = _wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(ARTIFACT) == (ROOT / ARTIFACT).read_bytes()
        unpacked = tmp_path / "installed"
        archive.extractall(unpacked)
    # -S: no site module, so no editable finder; the dependencies come from the venv's
    # site-packages, chaosguard only from the unpacked wheel
    code = textwrap.dedent(
        """
        import chaosguard
        from chaosguard.compiled.models import ARTIFACT_PATH, compiled
        from chaosguard.policy.load import default_policy
        assert ARTIFACT_PATH.is_file(), ARTIFACT_PATH
        compiled()
        default_policy()
        print(chaosguard.__file__)
        """
    )
    site = sysconfig.get_paths()["purelib"]
    done = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={"PYTHONPATH": f"{unpacked}:{site}", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(unpacked / "chaosguard" / "__init__.py")), done.stdout
