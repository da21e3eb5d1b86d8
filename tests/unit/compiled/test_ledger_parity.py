"""The compiled ledger lines: the engine decides a run file's lines exactly as pydantic does (same
values, same fold, same problem), and a fold that the engine decides never needs pydantic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaosguard.compiled.engine import NotFast
from chaosguard.ledger import record_models, records
from chaosguard.ledger.records import fold_run
from tests.unit.compiled.test_parity import check

RUN = "run-1"
_VALUES = st.sampled_from(
    [0, 1, 2.5, -1, True, None, "", "x", "é", "a\nb", [], ["a"], [1], {}, {"k": 1}, float("inf")]
)
_RECORD = st.fixed_dictionaries(
    {
        "id": st.sampled_from([f"{RUN}.ab12", f"{RUN}.cd34", "other.ab12", 7]),
        "run_id": st.sampled_from([RUN, "other"]),
        "kind": st.sampled_from(["latency", "stress", "é"]),
        "spec": st.sampled_from([{}, {"delay_ms": 50}, {"nested": {"a": [1, 2]}}, [], "x"]),
        "created_at": st.sampled_from([1.0, 2, "3", None]),
    },
    optional={
        "handles": st.sampled_from([{}, {"pid": 12}, None]),
        "revertible": st.sampled_from([True, False, 1, "yes"]),
        "closed_at": st.sampled_from([None, 5.0, 6]),
        "outcome": st.sampled_from([None, "reverted", 3]),
        "prior_spec": st.sampled_from([None, {"delay_ms": 10}]),
        "change_error": st.sampled_from([None, "boom"]),
        "extra": _VALUES,
    },
)
_LINES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "run": st.fixed_dictionaries(
        {"pid": st.sampled_from([1, 1.0, True, "1"]), "start_time": st.sampled_from([1.0, 1])},
        optional={"host": _VALUES, "argv": st.sampled_from([[], ["chaos", "run"], [1], ("a",)])},
    ),
    "open": st.fixed_dictionaries({"record": _RECORD}),
    "update": st.fixed_dictionaries(
        {"id": st.sampled_from([f"{RUN}.ab12", "nope"]), "handles": _VALUES}
    ),
    "change": st.fixed_dictionaries({"id": st.just(f"{RUN}.ab12"), "spec": _VALUES}),
    "change-failed": st.fixed_dictionaries(
        {"id": st.just(f"{RUN}.ab12")}, optional={"error": _VALUES, "at": _VALUES}
    ),
    "close": st.fixed_dictionaries(
        {"id": st.just(f"{RUN}.ab12"), "at": _VALUES}, optional={"outcome": _VALUES}
    ),
    "end": st.fixed_dictionaries({}, optional={"at": _VALUES}),
}
MODEL_OF = {op: getattr(record_models, name) for op, name in records._LINE_MODELS.items()}


def lines() -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(sorted(_LINES)).flatmap(
        lambda op: _LINES[op].map(lambda body: {"op": op, **body})
    )


@settings(max_examples=400)
@given(lines())
def test_each_line_is_decided_like_pydantic(line: dict[str, Any]) -> None:
    check(MODEL_OF[line["op"]], line)


def _fold(path: Path, monkeypatch: pytest.MonkeyPatch, engine: bool) -> Any:
    with monkeypatch.context() as patch:
        if not engine:
            patch.setattr(records, "compiled", _NeverSure)
        state = fold_run(path)
    return (
        state.problem,
        state.pid,
        state.argv,
        state.ended_at,
        {k: r.model_dump() for k, r in state.records.items()},
    )


class _NeverSure:
    """Stands in for the compiled engine and leaves every line to pydantic."""

    def validate(self, name: str, value: Any) -> Any:
        raise NotFast


@settings(max_examples=150, deadline=None)
@given(st.lists(lines(), max_size=6))
def test_a_run_file_folds_alike_with_the_engine_or_pydantic(
    tmp_path_factory: pytest.TempPathFactory, body: list[dict[str, Any]]
) -> None:
    first = {"op": "run", "pid": 1, "start_time": 1.0, "host": "h", "argv": ["chaos"], "at": 1.0}
    path = tmp_path_factory.mktemp("ledger") / f"{RUN}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in [first, *body]))
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _fold(path, monkeypatch, engine=True) == _fold(path, monkeypatch, engine=False)


RECORD = {
    "id": f"{RUN}.ab12",
    "run_id": RUN,
    "kind": "latency",
    "spec": {"a": [1]},
    "created_at": 1,
}


@pytest.mark.parametrize(
    "line",
    [
        {"op": "run", "pid": 1, "start_time": 1.0, "host": "h", "argv": ["chaos", "run"], "at": 1},
        {"op": "open", "record": RECORD},
        {"op": "open", "record": {**RECORD, "handles": {"pid": 3}, "closed_at": None}},
        {"op": "update", "id": f"{RUN}.ab12", "handles": {"pid": 3}},
        {"op": "change", "id": f"{RUN}.ab12", "spec": {"a": 2}, "at": 2.0},
        {"op": "change-failed", "id": f"{RUN}.ab12", "error": "boom"},
        {"op": "close", "id": f"{RUN}.ab12", "at": 3.0, "outcome": "reverted"},
        {"op": "end", "at": 4.0},
    ],
    ids=lambda line: line["op"],
)
def test_the_lines_a_run_writes_are_decided_by_the_engine(line: dict[str, Any]) -> None:
    assert check(MODEL_OF[line["op"]], line)
