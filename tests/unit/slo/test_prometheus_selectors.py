"""The PromQL scanner that finds the series selectors behind a value (for the staleness check)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaosguard.errors import ChaosGuardError
from chaosguard.slo.prometheus.queries import freshness_query_for
from chaosguard.slo.prometheus.scanner import PromQLScanError, series_selectors
from chaosguard.slo.prometheus.source import PrometheusSource


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))',
            ['http_requests_total{code=~"5.."}', "http_requests_total"],
        ),
        (
            "histogram_quantile(0.95, sum by (le) "
            '(rate(http_request_duration_seconds_bucket{job="api"}[5m])))',
            ['http_request_duration_seconds_bucket{job="api"}'],
        ),
        ("sum without (instance) (rate(x[1m] offset 5m)) > bool 0", ["x"]),
        ("SUM(foo) BY (bar)", ["foo"]),
        ("sum by (job) (a) / ignoring(code) group_left(team) b", ["a", "b"]),
        ("a * on(job) group_left b", ["a", "b"]),
        (
            'max_over_time(rate(x{a="}"}[1m])[10m:30s]) # a comment: metric_in_comment\n'
            ' + {__name__=~"foo.*"}',
            ['x{a="}"}', '{__name__=~"foo.*"}'],
        ),
        ("vector(1)", []),
        ("time() - 5", []),
        ("1e-3 * job:requests:rate5m + 0x1F - .5 + Inf", ["job:requests:rate5m"]),
        ('count_values("v", y) and z @ start() unless w @ 1609746000', ["y", "z", "w"]),
        ('label_replace(up, "dst", "$1", "job", "(.*)")', ["up"]),
        ("topk(3, x) or x", ["x"]),
        ("x {a='b\\'c'}", ["x{a='b\\'c'}"]),
        ("x{a=`raw\\`} / y", ["x{a=`raw\\`}", "y"]),
        ("min_over_time((a - b)[5m:])", ["a", "b"]),
    ],
)
def test_known_queries(query: str, expected: list[str]) -> None:
    assert series_selectors(query) == expected


@pytest.mark.parametrize("query", ['x{a="b"', 'sum(x{a="b})', "rate(x[5m)"])
def test_unbalanced_queries_raise(query: str) -> None:
    with pytest.raises(PromQLScanError) as err:
        series_selectors(query)
    assert isinstance(err.value, ChaosGuardError) and "\n" not in str(err.value)


def test_a_query_the_scanner_cannot_read_is_still_sent_to_prometheus() -> None:
    src = PrometheusSource(
        "http://127.0.0.1:9", 'sum(x{a="b})'
    )  # Prometheus will say what is wrong
    assert src.freshness_query is None and src._scan_error


def test_freshness_query_shape() -> None:
    q = freshness_query_for(["a", 'b{x="y"}'], 30)
    assert q == (
        "label_replace(max(timestamp(a)) or max(max_over_time(timestamp(a)[50s:1s])), "
        '"chaosguard_input", "0", "__name__", ".*") or '
        'label_replace(max(timestamp(b{x="y"})) or '
        'max(max_over_time(timestamp(b{x="y"})[50s:1s])), '
        '"chaosguard_input", "1", "__name__", ".*")'
    )
    assert "[5405s:4s]" in freshness_query_for(["a"], 3600)  # at most 1800 steps per series
    assert series_selectors(q) == ["a", 'b{x="y"}']


# -- property: generated expressions ---------------------------------------------------------------

RESERVED = {
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
    "atan2",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
    "start",
    "end",
}

names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}(:[a-z_]{1,4})?", fullmatch=True).filter(
    lambda n: n.lower() not in RESERVED
)
label_names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,6}", fullmatch=True)
values = st.text(alphabet=st.sampled_from(list("ab {}[]()#,:\"'`\\=~!.*5")), max_size=8)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def selectors(draw: st.DrawFn) -> str:
    matchers = draw(
        st.lists(
            st.tuples(label_names, st.sampled_from(["=", "!=", "=~", "!~"]), values), max_size=3
        )
    )
    body = ",".join(f"{n}{op}{_quote(v)}" for n, op, v in matchers)
    if not matchers:
        return draw(names)
    return draw(st.one_of(names, st.just(""))) + "{" + body + "}"


def _leaf(draw: st.DrawFn) -> tuple[str, list[str]]:
    sel = draw(selectors())
    form = draw(st.sampled_from(["plain", "rate", "offset", "at", "number"]))
    if form == "number":
        return draw(st.sampled_from(["1", "0.5", "1e-3", "Inf", "0x10"])), []
    text = {
        "plain": sel,
        "rate": f"rate({sel}[5m])",
        "offset": f"rate({sel}[1m] offset 5m)",
        "at": f"{sel} @ start()",
    }[form]
    return text, [sel]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> tuple[str, list[str]]:
    if depth >= 3 or draw(st.booleans()):
        return _leaf(draw)
    kind = draw(st.sampled_from(["binop", "agg", "func", "paren", "subquery", "on"]))
    a_text, a_sels = draw(expressions(depth + 1))
    if kind == "binop":
        b_text, b_sels = draw(expressions(depth + 1))
        op = draw(st.sampled_from(["+", "/", " and ", " or ", " unless ", " > bool "]))
        return f"{a_text}{op}{b_text}", a_sels + b_sels
    if kind == "on":
        b_text, b_sels = draw(expressions(depth + 1))
        return f"{a_text} * on(job) group_left(team) {b_text}", a_sels + b_sels
    if kind == "agg":
        agg = draw(st.sampled_from(["sum", "max", "count", "topk(3,", "quantile(0.9,"]))
        grp = draw(st.sampled_from(["", " by (job, le)", " without (instance)"]))
        if agg.endswith(","):
            return f"{agg} {a_text}){grp}", a_sels
        return draw(st.sampled_from([f"{agg}{grp} ({a_text})", f"{agg}({a_text}){grp}"])), a_sels
    if kind == "func":
        func = draw(st.sampled_from(["abs", "clamp_min", "label_replace", "histogram_quantile"]))
        if func == "clamp_min":
            return f"clamp_min({a_text}, 0)", a_sels
        if func == "label_replace":
            return f'label_replace({a_text}, "dst", "$1", "src", "(.*)")', a_sels
        if func == "histogram_quantile":
            return f"histogram_quantile(0.95, {a_text})", a_sels
        return f"abs({a_text})", a_sels
    if kind == "subquery":
        return f"max_over_time(({a_text})[10m:1m])", a_sels
    return f"( {a_text} )", a_sels


@settings(max_examples=150, deadline=None)
@given(expressions())
def test_generated_expressions_yield_exactly_their_selectors(expr: tuple[str, list[str]]) -> None:
    text, sels = expr
    expected: list[str] = []
    for s in sels:
        if s not in expected:
            expected.append(s)
    assert series_selectors(text) == expected


@given(st.text(max_size=200))
def test_the_scanner_never_crashes(text: str) -> None:
    try:
        result = series_selectors(text)
    except PromQLScanError:
        return
    assert all(isinstance(s, str) and s for s in result)
