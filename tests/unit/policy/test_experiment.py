"""Experiment validation beyond ``chaos validate``: one line per problem, naming where it is."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from chaosguard.errors import InvalidArgument
from chaosguard.policy.experiment import check_experiment, load_experiment

GOOD: dict[str, Any] = {
    "title": "CPU stress keeps p95 under 500 ms",
    "description": "d",
    "steady-state-hypothesis": {
        "title": "ok",
        "probes": [
            {
                "type": "probe",
                "name": "always",
                "tolerance": True,
                "provider": {
                    "type": "python",
                    "module": "os.path",
                    "func": "exists",
                    "arguments": {"path": "/"},
                },
            }
        ],
    },
    "method": [
        {
            "type": "action",
            "name": "cpu",
            "provider": {
                "type": "python",
                "module": "chaosguard.actions.stress",
                "func": "stress_cpu",
                "arguments": {"workers": 1, "load_percent": 50, "duration_s": 1},
            },
        },
        {
            "type": "action",
            "name": "latency",
            "provider": {
                "type": "python",
                "module": "chaosguard.actions.latency",
                "func": "set_latency",
                "arguments": {"name": "${proxy}", "latency_ms": 100, "jitter_ms": "${jitter}"},
            },
        },
        {
            "type": "probe",
            "name": "sleep",
            "provider": {"type": "process", "path": "true", "timeout": 3},
        },
    ],
    "rollbacks": [
        {
            "type": "action",
            "name": "stop",
            "provider": {
                "type": "python",
                "module": "chaosguard.actions.stress",
                "func": "stop_stress",
            },
        }
    ],
    "extensions": [
        {
            "name": "chaosguard",
            "guards": [
                {"name": "p95", "source": "http", "url": "http://127.0.0.1:8080/", "max": 500}
            ],
        }
    ],
}


def with_change(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(GOOD)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def test_a_good_experiment_has_no_problem() -> None:
    assert check_experiment(GOOD) == []


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (["title"], 42, "title: expected a string, got int"),
        (
            ["method"],
            [],
            "method: is empty (nothing would be done between the two steady-state checks)",
        ),
        (
            ["steady-state-hypothesis", "probes", 0, "type"],
            "action",
            (
                "steady-state-hypothesis.probes[0]: is an action ('always'); the steady-state "
                "hypothesis may only hold probes"
            ),
        ),
        (
            ["method", 2, "provider", "timeout"],
            "3",
            "method[2].provider.timeout: expected a number, got str",
        ),
        (
            ["method", 1, "provider", "arguments", "latency_ms"],
            "100",
            "method[1].provider.arguments.latency_ms: expected float, got str",
        ),
        (
            ["method", 0, "provider", "arguments", "workers"],
            1.5,
            "method[0].provider.arguments.workers: expected int, got float",
        ),
        (
            ["method", 0, "provider", "arguments", "workers"],
            True,
            "method[0].provider.arguments.workers: expected int, got bool",
        ),
        (
            ["method", 0, "provider", "arguments", "cores"],
            2,
            (
                "method[0].provider.arguments.cores: unknown argument of "
                "chaosguard.actions.stress:stress_cpu (known: workers, load_percent, duration_s, "
                "backend, priority)"
            ),
        ),
        (
            ["method", 0, "provider", "func"],
            "stress_cpus",
            (
                "method[0].provider.func: chaosguard.actions.stress has no function 'stress_cpus' "
                "(did you mean 'stress_cpu'?)"
            ),
        ),
        (
            ["method", 0, "provider", "func"],
            "_summary",
            (
                "method[0].provider.func: chaosguard.actions.stress has no function '_summary' "
                "(it has: stress_cpu, stress_memory, stop_stress)"
            ),
        ),
        (
            ["method", 0, "provider", "module"],
            "chaosguard.actions.nope",
            (
                "method[0].provider.module: cannot import 'chaosguard.actions.nope' "
                "(ModuleNotFoundError: No module named 'chaosguard.actions.nope')"
            ),
        ),
        (
            ["method", 0, "provider", "arguments"],
            [1],
            "method[0].provider.arguments: expected a mapping, got list",
        ),
        (
            ["rollbacks", 0, "provider", "func"],
            "stress_memory",
            (
                "rollbacks[0].provider.arguments: missing required argument 'mib' of "
                "chaosguard.actions.stress:stress_memory"
            ),
        ),
        (["method", 1], "not an activity", "method[1]: expected a mapping, got str"),
        (
            ["extensions", 0, "guards", 0, "max"],
            "high",
            "extensions.chaosguard.guards.0.max: expected a number (got 'high')",
        ),
        (["description"], None, "experiment: experiment requires a description"),
    ],
)
def test_problems_are_one_line_and_say_where(path: list[Any], value: Any, problem: str) -> None:
    problems = check_experiment(with_change(path, value))
    assert problems == [problem]


def test_every_problem_is_reported_not_only_the_first() -> None:
    doc = with_change(["title"], 1)
    doc["method"][0]["provider"]["arguments"]["workers"] = "many"
    doc["method"][2]["provider"]["timeout"] = "soon"
    assert len(check_experiment(doc)) == 3


def test_chaoslib_problems_are_one_line() -> None:
    doc = with_change(["method", 2, "provider", "type"], "carrier-pigeon")
    assert check_experiment(doc) == ["experiment: unknown provider type 'carrier-pigeon'"]
    missing_env = with_change(
        ["configuration"], {"url": {"type": "env", "key": "CG_SURELY_UNSET_VAR"}}
    )
    assert check_experiment(missing_env) == [
        (
            "experiment: Configuration makes reference to an environment key that does not exist: "
            "CG_SURELY_UNSET_VAR"
        )
    ]


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("e.yaml", "", "{path} is empty"),
        ("e.json", "", "{path} is not valid JSON: Expecting value at line 1 column 1"),
        ("e.yaml", "- 1\n- 2\n", "{path}: expected a mapping at the top level, got list"),
        ("e.json", "[1]", "{path}: expected a mapping at the top level, got list"),
        (
            "e.yaml",
            "title: [",
            (
                "{path} is not valid YAML: expected the node content, but found "
                "'<stream end>' at line 1 column 9"
            ),
        ),
    ],
)
def test_files_that_chaos_validate_shows_as_tracebacks(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    """What ``chaos guard check`` says of them: :func:`load_experiment` refuses with one line."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InvalidArgument) as info:
        load_experiment(str(path))
    assert (info.value.field, info.value.problem) == ("experiment", problem.format(path=path))
    assert str(info.value) == f"invalid argument 'experiment': {problem.format(path=path)}"


def test_an_empty_mapping_loads_and_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text("{}")
    assert check_experiment(load_experiment(str(path))) == ["experiment: is empty"]


def test_load_experiment_raises_invalid_argument(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="'experiment': cannot read"):
        load_experiment(str(tmp_path / "missing.yaml"))
