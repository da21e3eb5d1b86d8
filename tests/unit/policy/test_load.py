"""Loading policies and guards: files, $CHAOSGUARD_POLICY, the experiment block, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaosguard.errors import InvalidArgument
from chaosguard.policy import (
    Policy,
    experiment_schema,
    find_block,
    load_guards,
    load_policy,
    policy_schema,
)
from chaosguard.policy.load import parse_policy

ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def error_of(policy_file: str | None, experiment: dict | None = None) -> str:
    with pytest.raises(InvalidArgument) as info:
        load_policy(policy_file, experiment or {})
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.fixture(autouse=True)
def _no_env_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAOSGUARD_POLICY", raising=False)


def test_no_file_no_block_gives_the_defaults() -> None:
    assert load_policy(None, {}) == Policy()
    assert load_policy("", None) == Policy()
    assert load_guards({}) == []


def test_the_example_policy_loads() -> None:
    policy = load_policy(str(ROOT / "experiments" / "policy.example.yaml"), {})
    assert policy.windows and policy.freeze and policy.kill_switch.sources()
    assert policy.guard.error_budget_floor > 0


def test_yaml_and_json_files(tmp_path: Path) -> None:
    doc = {
        "max_targets": {"count": 2},
        "windows": [
            {"days": ["mon-fri"], "start": "09:00", "end": "17:00", "timezone": "Europe/Paris"}
        ],
    }
    from_json = load_policy(write(tmp_path, "p.json", json.dumps(doc)), {})
    from_yaml = load_policy(
        write(
            tmp_path,
            "p.yaml",
            "max_targets: {count: 2}\nwindows:\n"
            "  - {days: [mon-fri], start: 09:00, end: 17:00, timezone: Europe/Paris}\n",
        ),
        {},
    )
    assert from_json == from_yaml  # unquoted 17:00 (YAML 1.1 sexagesimal 1020) is read right


def test_env_var_names_the_file_and_the_argument_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOSGUARD_POLICY", write(tmp_path, "env.yaml", "allow_unguarded: true\n"))
    assert load_policy(None, {}).allow_unguarded
    assert not load_policy(write(tmp_path, "arg.yaml", "respect_pdb: true\n"), {}).allow_unguarded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "windows:\n  - timezone: Mars/Base\n",
            (
                "invalid argument 'policy.windows.0.timezone': unknown time zone 'Mars/Base' "
                "(in {path})"
            ),
        ),
        (
            "windws: []\n",
            "invalid argument 'policy.windws': unknown field (did you mean 'windows'?) (in {path})",
        ),
        (
            "guard: {interval_s: 0.05}\n",
            ("invalid argument 'policy.guard.interval_s': must be >= 0.1 (got 0.05) (in {path})"),
        ),
        (
            "guard: {on_unreadable: maybe}\n",
            (
                "invalid argument 'policy.guard.on_unreadable': expected 'abort' or "
                "'ignore' (got 'maybe') (in {path})"
            ),
        ),
        (
            "freeze: [{start: 2026-12-31, end: 2026-12-01}]\n",
            (
                "invalid argument 'policy.freeze.0': end 2026-12-01 is not after start 2026-12-31 "
                "(in {path})"
            ),
        ),
        (
            "local: {allow_process_patterns: ['ok', {all_of: ['(x']}]}\n",
            (
                "invalid argument 'policy.local.allow_process_patterns.1.all_of.0': not a regular "
                "expression: '(x' (missing ), unterminated subpattern at position 0) (in {path})"
            ),
        ),
        ("- 1\n", "invalid argument 'policy': expected a mapping, got list (in {path})"),
        (
            "max_targets: {count: 1.5}\n",
            (
                "invalid argument 'policy.max_targets.count': expected a whole number "
                "(got 1.5) (in {path})"
            ),
        ),
        (
            "kill_switch: {bogus: 1}\n",
            (
                "invalid argument 'policy.kill_switch.bogus': unknown field (allowed: "
                "configmap, env, file, timeout_s, url) (in {path})"
            ),
        ),
    ],
)
def test_one_line_errors_name_the_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "policy.yaml", text)
    assert error_of(path) == expected.format(path=path)


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("p.yaml", "", "is empty"),
        (
            "p.yaml",
            "a: [1, 2\n",
            "is not valid YAML: expected ',' or ']', but got '<stream end>' at line 2 column 1",
        ),
        ("p.json", '{"a": }', "is not valid JSON: Expecting value at line 1 column 7"),
        ("p.yaml", "freeze: [{start: 2026-13-45}]", "is not valid YAML: month must be in 1..12"),
        ("p.yaml", b"\xff\xfe\x00bad", "is not UTF-8 text"),
    ],
)
def test_unparsable_files(tmp_path: Path, name: str, text: str | bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    message = error_of(str(path))
    assert message.startswith(f"invalid argument 'policy_file': {path} ") and problem in message


def test_missing_file_names_policy_file(tmp_path: Path) -> None:
    assert error_of(str(tmp_path / "nope.yaml")) == (
        f"invalid argument 'policy_file': cannot read {tmp_path / 'nope.yaml'}: "
        "No such file or directory"
    )


def block(**fields: object) -> dict:
    return {
        "title": "t",
        "extensions": [{"name": "other", "x": 1}, {"name": "chaosguard", **fields}],
    }


def test_experiment_block_is_merged_stricter(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "max_targets: {count: 5}\nallow_unguarded: true\n")
    policy = load_policy(
        path, block(policy={"max_targets": {"count": 2}, "namespaces": {"deny": ["prod"]}})
    )
    assert (
        policy.max_targets.count == 2
        and policy.allow_unguarded
        and policy.namespaces.deny == ("prod",)
    )
    assert load_policy(path, block(policy={"max_targets": {"count": 9}})).max_targets.count == 5


def test_experiment_block_errors() -> None:
    assert error_of(None, block(policy={"windows": [{"timezone": "Mars/Base"}]})) == (
        "invalid argument 'extensions.chaosguard.policy.windows.0.timezone': "
        "unknown time zone 'Mars/Base'"
    )
    assert error_of(None, block(polcy={})) == (
        "invalid argument 'extensions.chaosguard.polcy': unknown field (did you mean 'policy'?)"
    )
    twice = {"extensions": [{"name": "chaosguard"}, {"name": "chaosguard"}]}
    assert "2 extensions are named 'chaosguard'" in error_of(None, twice)
    assert error_of(None, {"extensions": {"name": "chaosguard"}}) == (
        "invalid argument 'extensions': expected a list, got dict"
    )


def test_guards() -> None:
    guards = load_guards(
        block(
            guards=[
                {"name": "p95", "source": "http", "url": "http://127.0.0.1:8080/", "max": 500},
                {
                    "name": "errors",
                    "source": "prometheus",
                    "url": "http://127.0.0.1:9090",
                    "query": "up",
                    "max": 0.01,
                },
            ]
        )
    )
    assert [type(g).__name__ for g in guards] == ["HttpGuard", "PrometheusGuard"]
    assert find_block({"title": "x"}) is None and load_guards({"extensions": []}) == []
    with pytest.raises(InvalidArgument) as info:
        load_guards(block(guards=[{"name": "g", "source": "http", "url": "http://x"}]))
    assert str(info.value) == (
        "invalid argument 'extensions.chaosguard.guards.0': give exactly one of 'max' "
        "(breach above) or 'min' (breach below), or an 'anomaly' block"
    )
    with pytest.raises(InvalidArgument, match=r"'extensions\.chaosguard\.guards\.0\.source'"):
        load_guards(block(guards=[{"name": "g", "source": "carrier-pigeon", "max": 1}]))


def test_schemas_are_json_and_describe_the_fields() -> None:
    policy, experiment = policy_schema(), experiment_schema()
    json.dumps(policy), json.dumps(experiment)
    assert set(policy["properties"]) == set(Policy.model_fields)
    assert set(experiment["properties"]) == {"name", "policy", "guards"}
    assert policy["additionalProperties"] is False


def test_digest_is_stable_and_sensitive() -> None:
    assert Policy().digest() == Policy().digest()
    assert Policy().digest() != Policy.model_validate({"allow_unguarded": True}).digest()


#: A value whose ``repr`` is about a thousand characters (the fuzzer once put one in
#: ``freeze.start`` and got a 1,083-character message).
BIG = {f"key-{i:02d}": ["x" * 30, i] for i in range(20)}


def test_a_whole_document_as_a_freeze_start_is_one_short_line() -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_policy({"freeze": [{"start": BIG, "end": "2026-12-24"}]})
    assert str(info.value) == (
        "invalid argument 'policy.freeze.0.start': expected a date (2026-12-24) or a date and "
        "time (2026-12-24T18:00) (got {'key-00': ['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 0], 'key-01...)"
    )


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"freeze": [{"start": "2026-12-24", "end": "y" * 2000}]}, "policy.freeze.0.end"),
        ({"windows": [{"start": BIG}]}, "policy.windows.0.start"),
        ({"windows": [{"start": "9" * 500}]}, "policy.windows.0.start"),
        ({"windows": [{"days": BIG}]}, "policy.windows.0.days"),
        ({"windows": [{"days": ["d" * 500]}]}, "policy.windows.0.days"),
        ({"windows": [{"days": [BIG]}]}, "policy.windows.0.days"),
        ({"windows": [{"timezone": "Mars/" + "x" * 500}]}, "policy.windows.0.timezone"),
        ({"kill_switch": {"env": ["1" * 500]}}, "policy.kill_switch.env.0"),
        ({"kill_switch": {"url": ["ftp://" + "x" * 500]}}, "policy.kill_switch.url.0"),
        ({"kill_switch": {"file": [" " * 500]}}, "policy.kill_switch.file.0"),
        (
            {"local": {"deny_process_patterns": ["(" + "x" * 500]}},
            "policy.local.deny_process_patterns.0",
        ),
        ({"label_selectors": {"deny": ["app=" + "v" * 900]}}, "policy.label_selectors.deny.0"),
        ({"label_selectors": {"deny": ["a" * 900 + "=v"]}}, "policy.label_selectors.deny.0"),
        ({"label_selectors": {"deny": ["(" + "a" * 900]}}, "policy.label_selectors.deny.0"),
        ({"max_targets": {"count": BIG}}, "policy.max_targets.count"),
        ({"guard": {"on_unreadable": "z" * 500}}, "policy.guard.on_unreadable"),
        ({"windows": [{"k" * 500: 1}]}, "policy.windows.0." + "k" * 57 + "..."),
    ],
)
def test_messages_that_echo_the_input_cut_it(doc: dict, field: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_policy(doc)
    message = str(info.value)
    assert info.value.field == field, message
    assert "\n" not in message and len(message) <= 250 and "..." in message, message
