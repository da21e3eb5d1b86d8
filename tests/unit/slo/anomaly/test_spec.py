"""The ``anomaly:`` block: defaults, one-line errors naming the field, and no numpy on import."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from chaosguard.slo.anomaly.spec import (
    DEFAULT_MEMBERS,
    MIN_BASELINE,
    AnomalySpec,
    checks_per_run_for,
)


def test_defaults() -> None:
    spec = AnomalySpec()
    assert (spec.detector, spec.direction, spec.alpha, spec.confirm) == ("ensemble", "up", 0.01, 2)
    assert spec.baseline_readings == 60 and spec.k == 1
    assert spec.members == ("zscore", "moving-average", "ewma")
    assert checks_per_run_for(None, 1.0) == 300 and checks_per_run_for(None, 5.0) == 60
    assert checks_per_run_for(42, 1.0) == 42
    assert spec.baseline_effective == "auto" and spec.max_baseline_readings == 600
    assert spec.effective_target == 30 and not spec.effective_required


def test_baseline_effective_auto_a_number_or_null() -> None:
    given = AnomalySpec(baseline_effective=40)
    assert (given.effective_target, given.effective_required) == (40, True)
    fixed = AnomalySpec(baseline_effective=None)
    assert (fixed.effective_target, fixed.effective_required) == (None, False)
    assert fixed.max_baseline_readings == fixed.baseline_readings == 60


def test_the_most_baseline_readings_default_to_ten_times_the_minimum() -> None:
    assert AnomalySpec(baseline_effective=30).max_baseline_readings == 600
    assert AnomalySpec(baseline_readings=80).max_baseline_readings == 800
    spec = AnomalySpec(baseline_effective=30, baseline_readings=80, baseline_max_readings=300)
    assert spec.max_baseline_readings == 300


BAD = [
    ({"detector": "prophet"}, "detector"),
    ({"direction": "sideways"}, "direction"),
    ({"alpha": 0}, "alpha"),
    ({"alpha": 0.5}, "alpha"),
    ({"confirm": 0}, "confirm"),
    ({"thin": 0}, "thin"),
    ({"min_change": -1}, "min_change"),
    ({"min_abs_change": -0.1}, "min_abs_change"),
    ({"baseline_readings": 5}, "baseline_readings"),
    ({"detector": "iqr", "baseline_readings": 15}, "baseline_readings"),
    ({"k": 6}, "k"),
    ({"k": 4}, "k"),
    ({"members": ["zscore", "ewma"], "k": 3}, "k"),
    ({"members": ["zscore", "zscore"]}, "members"),
    ({"maximum": 3}, "maximum"),
    ({"baseline_effective": 1}, "baseline_effective"),
    ({"baseline_effective": "always"}, "baseline_effective"),
    ({"baseline_effective": 2.5}, "baseline_effective"),
    ({"baseline_effective": True}, "baseline_effective"),
    ({"baseline_effective": 20, "baseline_max_readings": 59}, "baseline_max_readings"),
    ({"baseline_effective": None, "baseline_max_readings": 600}, "baseline_max_readings"),
]


@pytest.mark.parametrize(("block", "field"), BAD)
def test_bad_blocks_name_the_field(block: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        AnomalySpec.model_validate(block)
    assert field in str(info.value)


def test_a_short_baseline_names_the_minimum() -> None:
    with pytest.raises(ValidationError) as info:
        AnomalySpec(detector="iqr", baseline_readings=19)
    assert "'baseline_readings' must be at least 20 for detector 'iqr'" in str(info.value)


@given(
    detector=st.sampled_from(
        ["zscore", "moving-average", "iqr", "ewma", "holt", "shift", "ensemble"]
    ),
    n=st.integers(min_value=-5, max_value=200),
)
def test_baseline_minimum_holds_for_every_detector(detector: str, n: int) -> None:
    need = MIN_BASELINE.get(detector) or max(MIN_BASELINE[m] for m in DEFAULT_MEMBERS)
    if n >= need:
        assert AnomalySpec(detector=detector, baseline_readings=n).baseline_readings == n
    else:
        with pytest.raises(ValidationError) as info:
            AnomalySpec(detector=detector, baseline_readings=n)
        assert "baseline_readings" in str(info.value)


@given(alpha=st.floats(allow_nan=True, allow_infinity=True))
def test_alpha_outside_its_range_is_refused(alpha: float) -> None:
    if 0 < alpha <= 0.2:
        assert AnomalySpec(alpha=alpha).alpha == alpha
    else:
        with pytest.raises(ValidationError, match="alpha"):
            AnomalySpec(alpha=alpha)


def test_importing_the_spec_imports_no_numpy() -> None:
    code = (
        "import sys, chaosguard.slo.anomaly, chaosguard.slo.anomaly.spec;"
        "print('numpy' in sys.modules, 'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
