"""The ``anomaly:`` block on every guard source: what validates, and the one-line errors naming the
field (``guards.0.anomaly.alpha``) for what does not."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from chaosguard.errors import InvalidArgument
from chaosguard.slo.spec import GuardSpec, HttpGuard, PrometheusGuard, PythonGuard
from chaosguard.validation import invalid_argument

GUARDS = TypeAdapter(list[GuardSpec])

SOURCES = {
    "http": {"source": "http", "url": "http://127.0.0.1:9/"},
    "prometheus": {"source": "prometheus", "url": "http://127.0.0.1:9090", "query": "up"},
    "python": {"source": "python", "func": "time:time"},
}


def _error(doc: dict) -> InvalidArgument:
    with pytest.raises(ValidationError) as err:
        GUARDS.validate_python([doc])
    return invalid_argument(err.value, "guards")


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_source_takes_an_anomaly_block_instead_of_or_besides_a_bound(source: str) -> None:
    alone, both = GUARDS.validate_python(
        [
            {"name": "a", **SOURCES[source], "anomaly": {"alpha": 0.05}},
            {"name": "b", **SOURCES[source], "max": 500, "anomaly": {}},
        ]
    )
    assert isinstance(alone, HttpGuard | PrometheusGuard | PythonGuard)
    assert alone.anomaly is not None and alone.anomaly.alpha == 0.05
    assert not alone.has_bound and not alone.breached_by(1e12)  # the detector judges, not a bound
    assert alone.threshold() == "anomaly (ensemble, up, alpha 0.05)"
    assert both.has_bound and both.breached_by(501) and not both.breached_by(500)
    assert both.threshold() == "<= 500 or anomaly (ensemble, up, alpha 0.01)"


def test_a_guard_without_anomaly_is_what_it_was() -> None:
    (spec,) = GUARDS.validate_python([{"name": "a", **SOURCES["python"], "min": 0.99}])
    assert spec.anomaly is None and spec.threshold() == ">= 0.99"


@pytest.mark.parametrize(
    ("extra", "field", "problem"),
    [
        ({}, "guards.0", "give exactly one of 'max' (breach above) or 'min' (breach below), or"),
        ({"max": 1, "min": 0}, "guards.0", "give exactly one of 'max'"),
        ({"anomaly": {"alpha": 2}}, "guards.0.anomaly.alpha", "must be <= 0.2"),
        ({"anomaly": {"alpha": 0}}, "guards.0.anomaly.alpha", "must be > 0"),
        ({"anomaly": {"detector": "magic"}}, "guards.0.anomaly.detector", "(got 'magic')"),
        (
            {"anomaly": {"direction": "sideways"}},
            "guards.0.anomaly.direction",
            "'up', 'down' or 'both'",
        ),
        ({"anomaly": {"confirm": 0}}, "guards.0.anomaly.confirm", "must be >= 1"),
        ({"anomaly": {"alpah": 0.01}}, "guards.0.anomaly.alpah", "unknown field"),
        ({"anomaly": "yes"}, "guards.0.anomaly", "expected a mapping"),
        ({"anomaly": {"baseline_readings": 3}}, "guards.0.anomaly", "'baseline_readings'"),
        (
            {"anomaly": {"baseline_range_s": 600}},
            "guards.0",
            "'anomaly.baseline_range_s' needs a prometheus source",
        ),
    ],
)
def test_bad_anomaly_blocks_are_one_line_errors_naming_the_field(
    extra: dict, field: str, problem: str
) -> None:
    err = _error({"name": "g", **SOURCES["python"], **extra})
    assert err.field == field
    assert problem in err.problem
    assert "\n" not in str(err)


def test_a_prometheus_guard_may_learn_from_a_range_query() -> None:
    (spec,) = GUARDS.validate_python(
        [{"name": "p", **SOURCES["prometheus"], "anomaly": {"baseline_range_s": 3600}}]
    )
    assert spec.anomaly is not None and spec.anomaly.baseline_range_s == 3600


@given(
    alpha=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5)),
    confirm=st.one_of(st.integers(-5, 60), st.floats(allow_nan=True)),
)
def test_any_anomaly_block_validates_or_names_its_field(alpha: object, confirm: object) -> None:
    doc = {"name": "g", **SOURCES["http"], "anomaly": {"alpha": alpha, "confirm": confirm}}
    try:
        (spec,) = GUARDS.validate_python([doc])
    except ValidationError as exc:
        err = invalid_argument(exc, "guards")
        assert err.field in ("guards.0.anomaly.alpha", "guards.0.anomaly.confirm")
        assert "\n" not in str(err)
        return
    assert spec.anomaly is not None
    assert 0 < spec.anomaly.alpha <= 0.2 and 1 <= spec.anomaly.confirm <= 50


def test_loading_guard_specs_imports_no_numpy() -> None:
    code = (
        "import sys\n"
        "from pydantic import TypeAdapter\n"
        "from chaosguard.slo.spec import GuardSpec\n"
        "from chaosguard.slo.check import SloCheck\n"
        "from chaosguard.slo.build import build_detector, build_source\n"
        "doc = [{'name': 'a', 'source': 'python', 'func': 'time:time', 'max': 1}]\n"
        "(spec,) = TypeAdapter(list[GuardSpec]).validate_python(doc)\n"
        "assert build_detector(spec, 1.0) is None\n"
        "assert 'numpy' not in sys.modules, 'numpy imported without an anomaly guard'\n"
        "doc[0]['anomaly'] = {}\n"
        "(spec,) = TypeAdapter(list[GuardSpec]).validate_python(doc)\n"
        "assert 'numpy' not in sys.modules, 'numpy imported by an anomaly spec alone'\n"
        "build_detector(spec, 1.0)\n"
        "assert 'numpy' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
