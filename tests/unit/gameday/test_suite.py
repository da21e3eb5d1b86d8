"""The suite file: loading, paths, ``${...}``, one-line errors naming the field (fuzzed), the JSON
Schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosguard.errors import InvalidArgument
from chaosguard.gameday.suite import (
    Suite,
    expand_env,
    load_suite,
    suite_from_experiments,
    suite_schema,
)

ROOT = Path(__file__).resolve().parents[3]
EXPERIMENT = {
    "title": "waits",
    "description": "d",
    "method": [
        {
            "type": "action",
            "name": "wait",
            "provider": {
                "type": "python",
                "module": "tests.guard_values",
                "func": "wait",
                "arguments": {"seconds": 0.1},
            },
        }
    ],
}
GUARD = {"name": "value", "source": "python", "func": "tests.guard_values:read_value", "max": 10}


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    """``tmp/suites/`` (where suites go) next to ``tmp/exp/a.yaml``, ``b.json`` and
    ``tmp/policy.yaml``."""
    (tmp_path / "suites").mkdir()
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "a.yaml").write_text(yaml.safe_dump(EXPERIMENT))
    (tmp_path / "exp" / "b.json").write_text(json.dumps({**EXPERIMENT, "title": "b"}))
    (tmp_path / "policy.yaml").write_text("guard: {interval_s: 0.5}\nallow_unguarded: true\n")
    return tmp_path


def write_suite(files: Path, doc: Any) -> str:
    path = files / "suites" / "s.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return str(path)


def base() -> dict[str, Any]:
    return {
        "name": "nightly",
        "policy": "../policy.yaml",
        "guards": [dict(GUARD)],
        "experiments": [
            "../exp/a.yaml",
            {
                "path": "../exp/b.json",
                "weight": 2,
                "name": "bee",
                "timeout_s": 60,
                "chaos_args": ["--rollback-strategy", "always"],
            },
        ],
    }


def test_a_full_suite_loads(files: Path) -> None:
    plan = load_suite(write_suite(files, base()))
    suite = plan.suite
    assert suite.name == "nightly" and suite.policy == str(files / "policy.yaml")
    assert [e.path for e in suite.experiments] == [
        str(files / "exp" / "a.yaml"),
        str(files / "exp" / "b.json"),
    ]
    assert [p.name for p in plan.experiments] == ["waits", "bee"]
    assert suite.experiments[1].weight == 2 and suite.experiments[1].chaos_args == (
        "--rollback-strategy",
        "always",
    )
    assert suite.experiments[0].weight == 1 and suite.experiments[0].timeout_s is None
    assert plan.policy.guard.interval_s == 0.5 and plan.policy.allow_unguarded
    assert suite.recovery.timeout_s == 300 and suite.recovery.on_timeout == "error"
    assert not suite.continue_on_abort and suite.experiment_timeout_s == 3600


def test_experiment_files_from_the_command_line(
    files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(files)
    plan = suite_from_experiments(
        ["exp/a.yaml", "exp/b.json"], policy=str(files / "policy.yaml"), guards=[GUARD]
    )
    assert plan.suite.name == "game day" and [p.name for p in plan.experiments] == ["waits", "b"]
    with pytest.raises(
        InvalidArgument, match=r"^invalid argument 'experiments.1.path': file not found: nope.yaml$"
    ):
        suite_from_experiments(["exp/a.yaml", "nope.yaml"])


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (
            lambda d: d["experiments"].append("missing.yaml"),
            "experiments.2.path",
            "file not found: missing.yaml",
        ),
        (
            lambda d: d["experiments"].__setitem__(0, "../exp"),
            "experiments.0.path",
            "is not a file: ../exp",
        ),
        (lambda d: d.pop("experiments"), "experiments", "required field missing"),
        (lambda d: d.__setitem__("experiments", []), "experiments", "at least 1 item"),
        (lambda d: d.pop("name"), "name", "required field missing"),
        (lambda d: d.__setitem__("nmae", "x"), "nmae", "unknown field (did you mean 'name'?)"),
        (
            lambda d: d["experiments"][1].__setitem__("weight", 0),
            "experiments.1.weight",
            "must be > 0",
        ),
        (
            lambda d: d["experiments"][1].__setitem__("wieght", 1),
            "experiments.1.wieght",
            "did you mean 'weight'",
        ),
        (
            lambda d: d["experiments"][1].__setitem__("chaos_args", "--x"),
            "experiments.1.chaos_args",
            "expected a",
        ),
        (
            lambda d: d.__setitem__("policy", "../nope.yaml"),
            "policy",
            "file not found: ../nope.yaml",
        ),
        (lambda d: d["guards"][0].pop("max"), "guards.0", "give exactly one of 'max'"),
        (
            lambda d: d["guards"][0].__setitem__("source", "htp"),
            "guards.0.source",
            "expected one of",
        ),
        (
            lambda d: d["guards"].append(dict(GUARD)),
            "guards.1.name",
            "duplicate guard name 'value'",
        ),
        (  # recovery between experiments could never tell "healthy" from an anomaly block alone
            lambda d: d["guards"][0].update(max=None, anomaly={"detector": "zscore"}),
            "guards.0",
            "needs an objective",
        ),
        (
            lambda d: d.__setitem__("recovery", {"on_timeout": "wait"}),
            "recovery.on_timeout",
            "expected 'error' or",
        ),
        (
            lambda d: d.__setitem__("recovery", {"timeout_s": -1}),
            "recovery.timeout_s",
            "must be >= 0",
        ),
        (
            lambda d: d.__setitem__("continue_on_abort", "yes"),
            "continue_on_abort",
            "expected true or false",
        ),
        (
            lambda d: d.__setitem__("experiment_timeout_s", float("inf")),
            "experiment_timeout_s",
            "finite",
        ),
    ],
)
def test_each_problem_is_one_line_naming_the_field(
    files: Path, change: Any, field: str, problem: str
) -> None:
    doc = base()
    change(doc)
    path = write_suite(files, doc)
    with pytest.raises(InvalidArgument) as info:
        load_suite(path)
    assert info.value.field == field, str(info.value)
    assert problem in info.value.problem and "\n" not in str(info.value)
    assert str(info.value).startswith(f"invalid argument '{field}': ")


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("", "suite", "is empty"),
        ("- a\n- b\n", "suite", "expected a mapping with 'name' and 'experiments', got list"),
        ("name: [unclosed\n", "suite", "is not valid YAML"),
        (
            "name: x\nexperiments: ['../exp/a.yaml']\npolicy: ../exp/a.yaml\n",
            "policy.description",
            "unknown field",
        ),
    ],
)
def test_unreadable_suite_files(files: Path, text: str, field: str, problem: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        load_suite(write_suite(files, text))
    assert info.value.field == field and problem in info.value.problem, str(info.value)


def test_a_broken_experiment_is_found_before_anything_runs(files: Path) -> None:
    (files / "exp" / "a.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "t",
                "description": "d",
                "method": [
                    {
                        "type": "action",
                        "name": "x",
                        "provider": {
                            "type": "python",
                            "module": "chaosguard.actions.latency",
                            "func": "set_latency",
                            "arguments": {"latency": 5},
                        },
                    }
                ],
            }
        )
    )
    with pytest.raises(InvalidArgument) as info:
        load_suite(write_suite(files, base()))
    assert (
        info.value.field == "experiments.0.path"
        and "method[0].provider.arguments" in info.value.problem
    )
    assert load_suite(write_suite(files, base()), check=False).suite.name == "nightly"


@pytest.mark.parametrize("where", ["extension", "control"])
def test_a_suite_guard_may_not_share_a_name_with_an_experiment_guard(
    files: Path, where: str
) -> None:
    guard = {"name": "value", "source": "python", "func": "tests.guard_values:read_value", "max": 3}
    doc = dict(EXPERIMENT)
    if where == "extension":
        doc["extensions"] = [{"name": "chaosguard", "guards": [guard]}]
    else:
        doc["controls"] = [
            {
                "name": "chaosguard",
                "provider": {
                    "type": "python",
                    "module": "chaosguard.safety.guard",
                    "arguments": {"guards": [guard]},
                },
            }
        ]
    (files / "exp" / "b.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidArgument) as info:
        load_suite(write_suite(files, base()))
    assert info.value.field == "guards.0.name"
    assert info.value.problem.startswith("'value' is also a guard of experiment 2 (")


def test_a_guard_whose_function_does_not_import_is_found_before_anything_runs(files: Path) -> None:
    doc = base()
    doc["guards"][0]["func"] = "tests.nowhere:read"
    with pytest.raises(InvalidArgument, match=r"guards\.value\.func"):
        load_suite(write_suite(files, doc))


def test_environment_variables(files: Path) -> None:
    doc = base()
    doc["guards"] = [
        {"name": "p95", "source": "http", "url": "${SVC_URL}", "max": 5},
        {"name": "err", "source": "http", "url": "${OTHER:-http://fallback/}", "max": 1},
    ]
    doc["description"] = "costs $${HOME} dollars"
    path = write_suite(files, doc)
    plan = load_suite(path, env={"SVC_URL": "http://svc:8080/"})
    assert [g.url for g in plan.suite.guards] == ["http://svc:8080/", "http://fallback/"]
    assert plan.suite.description == "costs ${HOME} dollars"
    with pytest.raises(
        InvalidArgument,
        match=r"^invalid argument 'guards.0.url': environment variable SVC_URL "
        r"is not set \(in .*s.yaml\)$",
    ):
        load_suite(path, env={})
    lenient = load_suite(path, env={}, check=False, strict_env=False)
    assert lenient.suite.guards[0].url == "${SVC_URL}"


def test_expand_env_leaves_other_values_alone() -> None:
    doc = {"a": [1, 2.5, True, None, {"b": "${X}-${Y:-y}"}]}
    assert expand_env(doc, {"X": "x"}) == {"a": [1, 2.5, True, None, {"b": "x-y"}]}


def test_schema_lists_every_field() -> None:
    schema = suite_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["properties"]) == set(Suite.model_fields)
    assert schema["required"] == ["name", "experiments"]
    refs = json.dumps(schema)
    assert "ExperimentRef" in refs and "HttpGuard" in refs and "Recovery" in refs


# -- fuzzing: whatever the document, a Suite or ONE line naming a field -------------------------

JUNK = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=True),
        st.text(max_size=12),
        st.sampled_from(
            ["../exp/a.yaml", "../policy.yaml", "http", "python", "error", "${NOPE}", "../exp", ""]
        ),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(
                ["name", "path", "weight", "source", "max", "url", "func", "timeout_s", "x"]
            ),
            children,
            max_size=3,
        ),
    ),
    max_leaves=8,
)
PATHS = [
    ("name",),
    ("description",),
    ("policy",),
    ("guards",),
    ("guards", 0),
    ("guards", 0, "source"),
    ("guards", 0, "max"),
    ("guards", 0, "name"),
    ("experiments",),
    ("experiments", 0),
    ("experiments", 1, "path"),
    ("experiments", 1, "weight"),
    ("experiments", 1, "chaos_args"),
    ("recovery",),
    ("recovery", "interval_s"),
    ("continue_on_abort",),
    ("output_dir",),
    ("chaos_args",),
    ("unknown",),
    ("experiments", 1, "extra"),
]


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    target = doc
    for key in path[:-1]:
        try:
            target = target[key]
        except (KeyError, IndexError, TypeError):
            return doc
    try:
        target[path[-1]] = value
    except (IndexError, TypeError):
        pass
    return doc


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), JUNK), min_size=1, max_size=3))
def test_fuzzed_suites_fail_in_one_line_naming_a_field(
    files: Path, changes: list[tuple[Any, Any]]
) -> None:
    doc = copy.deepcopy(base())
    for path, value in changes:
        doc = _set(doc, path, value)
    path = files / "suites" / "fuzz.json"
    path.write_text(json.dumps(doc))
    try:
        plan = load_suite(str(path), env={}, check=False)
    except InvalidArgument as exc:
        text = str(exc)
        assert "\n" not in text and text.startswith(f"invalid argument '{exc.field}': ")
        root = exc.field.split(".")[0]
        assert root in Suite.model_fields or root in ("suite", "unknown") or root == "policy", text
    else:
        assert plan.suite.experiments and plan.suite.name


@settings(max_examples=200, deadline=None)
@given(doc=JUNK)
def test_any_document_is_a_suite_or_one_line(doc: Any) -> None:
    from chaosguard.gameday.suite import _validate

    try:
        _validate(expand_env(doc, {}, strict=False), Path("/nonexistent"), "in fuzz")
    except InvalidArgument as exc:
        assert "\n" not in str(exc) and exc.field


def test_example_suites_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_SERVICE_URL", "http://127.0.0.1:8080/")
    monkeypatch.setenv("PROMETHEUS_URL", "http://127.0.0.1:9090")
    monkeypatch.setenv("CHAOS_NAMESPACE", "shop")
    suites = sorted((ROOT / "experiments" / "suites").glob("*.yaml"))
    assert suites, "experiments/suites/ holds example suites"
    for path in suites:
        plan = load_suite(str(path))
        assert plan.experiments and plan.suite.guards, path
