"""The checked-in artifact is what the pydantic models compile to today, and using it (validating
a policy and an experiment's block, calling their methods) never imports pydantic."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from chaosguard.compiled.build import CompileError, compile_models
from chaosguard.compiled.engine import resolve
from chaosguard.compiled.models import MODELS, artifact
from chaosguard.policy.model import Policy


def test_the_artifact_is_fresh() -> None:
    """Fails after a model changes: regenerate with ``python -m chaosguard.compiled.build``."""
    assert compile_models(*(resolve(ref) for ref in MODELS.values())) == artifact()


def test_models_the_engine_could_misread_are_refused() -> None:
    from pydantic import BaseModel, ConfigDict, field_validator

    class Coerces(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid", str_to_lower=True)
        name: str

    class Local(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        name: str

        @field_validator("name")
        @classmethod
        def _check(cls, value: str) -> str:
            return value

    class Mutable(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: str

    with pytest.raises(CompileError, match="str_to_lower"):
        compile_models(Coerces)
    with pytest.raises(CompileError, match="cannot be imported by that name"):
        compile_models(Local)
    with pytest.raises(CompileError, match="only frozen models"):
        compile_models(Mutable)


POLICY = {
    "guard": {"python_modules": ["os"]},
    "windows": [{"days": ["mon-fri"], "start": "09:00", "end": "17:00"}],
    "freeze": [{"start": "2026-12-24", "end": "2026-12-26", "timezone": "Europe/Paris"}],
    "local": {"allow_process_patterns": ["^demo", {"all_of": ["a", "b"]}]},
    "kill_switch": {"env": "CG_STOP", "file": "/tmp/cg-stop"},
}
BLOCK = {
    "name": "chaosguard",
    "guards": [
        {"name": "constant", "source": "python", "func": "os:cpu_count", "min": 1},
        {"name": "p95", "source": "http", "url": "http://x", "max": 500, "anomaly": {}},
    ],
}
SCRIPT = textwrap.dedent(
    """
    import json, sys
    from chaosguard.compiled.models import compiled
    policy, block = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    p = compiled().validate("Policy", policy)
    b = compiled().validate("ChaosguardBlock", block)
    print(json.dumps({
        "digest": p.digest(),
        "windows": [w.describe() for w in p.windows],
        "freeze": [str(i) for i in p.freeze[0].interval()],
        "sources": p.kill_switch.sources(),
        "thresholds": [g.threshold() for g in b.guards],
        "effective": b.guards[1].anomaly.effective_target,
        "pydantic": sorted(m for m in sys.modules if m.startswith("pydantic")),
    }))
    """
)


def test_the_compiled_models_run_without_pydantic() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(POLICY), json.dumps(BLOCK)],
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(out.stdout)
    assert got["pydantic"] == []
    real = Policy.model_validate(POLICY)
    assert got["digest"] == real.digest()
    assert got["windows"] == [w.describe() for w in real.windows]
    assert got["freeze"] == [str(i) for i in real.freeze[0].interval()]
    assert got["sources"] == [list(s) for s in real.kill_switch.sources()]
    assert got["thresholds"] == [">= 1", "<= 500 or anomaly (ensemble, up, alpha 0.01)"]
    assert got["effective"] == 30
