"""Fuzzing: whatever the document, loading fails only with a short one-line InvalidArgument, never
another error."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosguard.errors import InvalidArgument
from chaosguard.policy import load_guards, load_policy
from chaosguard.policy.experiment import check_experiment, load_experiment
from chaosguard.policy.load import parse_policy
from chaosguard.policy.model_rules import PolicyRules
from tests.unit.policy.strategies import json_leaves, json_values, near_policies

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


#: The longest message a document may get (one short line: an echoed value is cut to 60 characters).
MAX_MESSAGE = 300


def one_line_invalid(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except InvalidArgument as exc:
        message = str(exc)
        assert message.startswith("invalid argument '") and "\n" not in message, message
        assert len(message) <= MAX_MESSAGE, message
        return None


@FUZZ
@given(st.one_of(json_values, near_policies()))
def test_policy_documents(doc: Any) -> None:
    result = one_line_invalid(parse_policy, doc)
    assert result is None or isinstance(result, PolicyRules)  # compiled or pydantic's


@FUZZ
@given(
    st.one_of(
        json_values, near_policies(), st.lists(st.one_of(near_policies(), json_values), max_size=3)
    )
)
def test_experiment_blocks(doc: Any) -> None:
    experiment = {
        "title": "t",
        "extensions": [{"name": "chaosguard", "policy": doc, "guards": doc}],
    }
    one_line_invalid(load_policy, None, experiment)
    one_line_invalid(load_guards, experiment)
    one_line_invalid(load_guards, {"extensions": doc})


@FUZZ
@given(
    st.one_of(
        st.text(max_size=200),
        st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
        st.sampled_from(
            [
                "{",
                "[[[[",
                "a: b: c",
                "- - -",
                "!!python/object:os.system x",
                "?",
                "%YAML 9",
                "*alias",
                "&a [*a]",
                "t: 2026-02-30",
                "\ufeff{}",
                "null",
                "0",
            ]
        ),
    ),
    st.sampled_from(["policy.yaml", "policy.json", "policy"]),
)
def test_policy_files(text: str, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        one_line_invalid(load_policy, str(path), {})
        experiment = one_line_invalid(load_experiment, str(path))  # as `chaos guard check` does
        for problem in check_experiment(experiment) if experiment is not None else []:
            assert "\n" not in problem


MODULES = [
    "chaosguard.actions.stress",
    "chaosguard.actions.process",
    "chaosguard.actions.latency",
    "chaosguard.probes.http",
    "chaosguard.nope",
    "os.path",
]
FUNCS = [
    "stress_cpu",
    "stress_memory",
    "signal_processes",
    "set_latency",
    "http_latency_percentile",
    "exists",
    "nope",
    "_private",
]


@st.composite
def activities(draw: st.DrawFn) -> Any:
    provider = draw(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["python", "process", "http", "other"])},
            optional={
                "module": st.sampled_from(MODULES),
                "func": st.sampled_from(FUNCS),
                "arguments": st.one_of(
                    st.dictionaries(
                        st.sampled_from(
                            ["workers", "mib", "name", "latency_ms", "url", "path", "x"]
                        ),
                        json_leaves,
                        max_size=3,
                    ),
                    json_values,
                ),
                "timeout": json_leaves,
                "path": json_leaves,
                "url": json_leaves,
            },
        )
    )
    activity = draw(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["action", "probe", "other"]), "name": st.text(max_size=8)},
            optional={
                "provider": st.one_of(st.just(provider), json_leaves),
                "tolerance": json_leaves,
                "timeout": json_leaves,
                "ref": json_leaves,
                "pauses": json_values,
            },
        )
    )
    return draw(st.one_of(st.just(activity), json_leaves))


@st.composite
def experiments(draw: st.DrawFn) -> Any:
    doc = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "title": json_leaves,
                "description": json_leaves,
                "tags": json_values,
                "steady-state-hypothesis": st.one_of(
                    st.fixed_dictionaries(
                        {"title": json_leaves},
                        optional={"probes": st.lists(activities(), max_size=2)},
                    ),
                    json_leaves,
                ),
                "method": st.one_of(st.lists(activities(), max_size=3), json_leaves),
                "rollbacks": st.one_of(st.lists(activities(), max_size=2), json_leaves),
                "extensions": st.one_of(
                    st.lists(
                        st.one_of(
                            st.fixed_dictionaries(
                                {"name": st.just("chaosguard")},
                                optional={"policy": near_policies(), "guards": json_values},
                            ),
                            json_values,
                        ),
                        max_size=2,
                    ),
                    json_leaves,
                ),
                "controls": json_values,
            },
        )
    )
    return draw(st.one_of(st.just(doc), json_values))


@FUZZ
@given(experiments())
def test_experiments(doc: Any) -> None:
    problems = check_experiment(doc)
    assert isinstance(problems, list)
    for problem in problems:
        assert isinstance(problem, str) and "\n" not in problem and "Traceback" not in problem
