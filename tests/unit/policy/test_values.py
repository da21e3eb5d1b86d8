"""Argument values of every action judged before the first action: the action's own check, run by
the preflight and ``chaos guard check`` (:mod:`chaosguard.policy.values`)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaosguard.errors import InvalidArgument
from chaosguard.faults.latency.spec import Toxic
from chaosguard.faults.stress.spec import CpuStressSpec
from chaosguard.policy.experiment import check_experiment
from chaosguard.policy.values import value_problems
from chaosguard.validation import VALUE_CHECK


def _doc(module: str, func: str, **arguments: Any) -> dict[str, Any]:
    return {
        "title": "t",
        "description": "d",
        "method": [
            {
                "type": "action",
                "name": "a",
                "provider": {
                    "type": "python",
                    "module": f"chaosguard.actions.{module}",
                    "func": func,
                    "arguments": arguments,
                },
            }
        ],
    }


BAD = [
    ("stress", "stress_cpu", {"workers": 0}, "workers: must be between 1 and"),
    ("stress", "stress_cpu", {"load_percent": 150}, "load_percent: Input should be less than"),
    ("stress", "stress_memory", {"mib": -5}, "mib: must be a positive number of MiB (got -5)"),
    ("stress", "stress_memory", {"mib": 10**9}, "mib: "),
    ("stress", "stop_stress", {"kind": "disk"}, "kind: Input should be 'all', 'cpu' or"),
    (
        "latency",
        "start_latency_proxy",
        {"name": "p", "listen": "127.0.0.1:0", "upstream": "nowhere", "latency_ms": 1},
        "upstream: ",
    ),
    ("latency", "set_latency", {"name": "p", "latency_ms": -1}, "latency_ms: Input should be"),
    ("latency", "set_latency", {"name": "p", "direction": "sideways"}, "direction: Input"),
    ("process", "signal_processes", {"signal": "SIGNOPE", "name_pattern": "x"}, "signal: unknown"),
    ("process", "pause_processes", {"name_pattern": "("}, "name_pattern: not a regular"),
    ("process", "pause_processes", {}, "pid_file: give exactly one of pid_file or name_pattern"),
    ("process", "pause_processes", {"pid_file": "/x", "max_processes": 0}, "max_processes: must"),
    ("sampler", "start_http_sampler", {"name": "s", "url": "ftp://x"}, "url: "),
    ("sampler", "start_http_sampler", {"name": "s", "url": "http://x", "rate_per_s": 0}, "rate_"),
    (
        "pods",
        "kill_pods",
        {"namespace": "Bad_NS", "label_selector": "app=x", "count": 1},
        "namespace: 'Bad_NS' is not a namespace name",
    ),
    ("pods", "kill_pods", {"namespace": "ns", "label_selector": "app=x"}, "count: give exactly"),
    (
        "chaosmesh",
        "add_network_latency",
        {"namespace": "ns", "label_selector": "app=x", "latency_ms": 1, "mode": "some"},
        "mode: Input should be",
    ),
    (
        "chaosmesh",
        "stress_pods",
        {"namespace": "ns", "label_selector": "app=x"},
        "cpu_workers: give cpu_workers and/or memory_workers",
    ),
]


@pytest.mark.parametrize(("module", "func", "arguments", "problem"), BAD)
def test_a_bad_value_is_one_line_naming_the_argument(
    module: str, func: str, arguments: dict[str, Any], problem: str
) -> None:
    problems = check_experiment(_doc(module, func, **arguments))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"method[0].provider.arguments.{problem}"), problems


GOOD = [
    ("stress", "stress_cpu", {"workers": 1, "load_percent": 50}),
    ("stress", "stress_memory", {"mib": 16}),
    ("stress", "stop_stress", {}),
    ("latency", "set_latency", {"name": "p", "latency_ms": 100, "direction": "downstream"}),
    ("process", "signal_processes", {"signal": 9, "name_pattern": "^never-matches$"}),
    ("sampler", "start_http_sampler", {"name": "s", "url": "http://127.0.0.1:1/"}),
    ("pods", "kill_pods", {"namespace": "ns", "label_selector": "app=x", "percent": 50}),
    (
        "chaosmesh",
        "add_network_latency",
        {"namespace": "ns", "label_selector": "a", "latency_ms": 5},
    ),
]


@pytest.mark.parametrize(("module", "func", "arguments"), GOOD)
def test_good_values_pass_and_nothing_is_looked_up(
    module: str, func: str, arguments: dict[str, Any]
) -> None:
    """No process, proxy, cluster or server exists for these: the check reads none of them."""
    assert check_experiment(_doc(module, func, **arguments)) == []


def test_placeholders_are_left_to_the_action() -> None:
    assert check_experiment(_doc("stress", "stress_memory", mib="${mib}")) == []


def test_a_function_without_a_check_has_no_value_problem() -> None:
    assert value_problems("m", len, {"obj": -5}) == []


def test_a_check_that_cannot_judge_refuses() -> None:
    def action(size: int = 1) -> None: ...

    def broken(values: dict[str, Any]) -> None:
        raise OSError("cannot read /proc/meminfo")

    setattr(action, VALUE_CHECK, broken)
    assert value_problems("method[0].provider", action, {"size": 2}) == [
        "method[0].provider.arguments: cannot be checked (OSError: cannot read /proc/meminfo)"
    ]


def test_the_check_sees_every_argument_with_its_default() -> None:
    seen: list[dict[str, Any]] = []

    def action(a: int, b: int = 7, configuration: dict | None = None) -> None: ...

    setattr(action, VALUE_CHECK, seen.append)
    assert value_problems("w", action, {"a": 1}) == []
    assert seen == [{"a": 1, "b": 7}]


def _accepts(model: type, **values: Any) -> bool:
    try:
        model(**values)
    except ValueError:
        return False
    return True


numbers = st.one_of(
    st.integers(-10, 1000), st.floats(-10, 1000, allow_nan=False, allow_infinity=False)
)


@given(workers=st.integers(-2, 64), load=numbers, duration=numbers)
def test_cpu_stress_verdict_is_the_specs(workers: int, load: float, duration: float) -> None:
    """The preflight accepts exactly what the action's spec accepts (types already fine)."""
    doc = _doc("stress", "stress_cpu", workers=workers, load_percent=load, duration_s=duration)
    expected = _accepts(CpuStressSpec, workers=workers, load_percent=load, duration_s=duration)
    assert (check_experiment(doc) == []) == expected


@given(
    latency=numbers,
    jitter=numbers,
    direction=st.sampled_from(["upstream", "downstream", "both", "up", ""]),
    reset=st.floats(-1, 2, allow_nan=False),
)
def test_latency_verdict_is_the_toxics(
    latency: float, jitter: float, direction: str, reset: float
) -> None:
    values = {
        "latency_ms": latency,
        "jitter_ms": jitter,
        "direction": direction,
        "reset_probability": reset,
    }
    problems = check_experiment(_doc("latency", "set_latency", name="p", **values))
    assert (problems == []) == _accepts(Toxic, **values)


def test_invalid_argument_is_what_the_action_raises_too() -> None:
    """The action runs the same check itself (directly called, outside any experiment)."""
    from chaosguard.actions.stress import stress_memory

    with pytest.raises(InvalidArgument, match=r"^invalid argument 'mib': must be a positive"):
        stress_memory(mib=-5)
