"""Every action checks every argument's TYPE before acting (issue 9, item 7, the actions' part).

A documented form must work (``signal: 18``); a wrong type is ONE ``InvalidArgument`` line naming
the field, never an ``AttributeError``/``TypeError``. Hypothesis mutates the arguments of a working
call of every action module and accepts only two outcomes: success, or a one-line
``InvalidArgument`` / ``Refused``. The mutants run under an operator policy that lets nothing but
this test's own victim process be signalled, and every success is undone at once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosguard.actions import chaosmesh, latency, pods, process, sampler, stress
from chaosguard.errors import InvalidArgument, Refused
from tests.e2e.guarded import action, chaos_run, experiment
from tests.helpers import python_child, wait_until

# the actions are called directly, outside a guarded run: the operator allows it (tests that
# need a policy of their own write one over it with operator_policy)
pytestmark = [pytest.mark.security, pytest.mark.usefixtures("unguarded_actions")]

MUTANTS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

any_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def mutants(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` with some arguments replaced by values of any type, some left out."""
    keys = sorted(base)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out = dict(base)
        for key in draw(st.lists(st.sampled_from(keys), unique=True, min_size=1)):
            if draw(st.booleans()):
                out[key] = draw(any_value)
            else:
                out.pop(key)
        return out

    return build()


def _call(func: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """Call ``func``; only success, ``InvalidArgument`` or ``Refused`` (one line) may come out."""
    try:
        return func(**arguments)
    except TypeError as exc:  # a required argument left out: Chaos Toolkit's own check says so
        if "required positional argument" in str(exc) and "missing" in str(exc):
            return None
        raise
    except (InvalidArgument, Refused) as exc:
        assert "\n" not in str(exc)
        return None


@pytest.fixture()
def operator_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def write(**fields: Any) -> None:
        path = tmp_path / "operator-policy.yaml"
        path.write_text(yaml.safe_dump({"allow_unguarded": True, **fields}))
        monkeypatch.setenv("CHAOSGUARD_POLICY", str(path))

    return write


@pytest.fixture()
def victim() -> Iterator[tuple[Any, str]]:
    marker = f"cg-types-victim-{os.getpid()}"
    proc = python_child(f"# {marker}\nimport time\ntime.sleep(300)\n")
    assert wait_until(lambda: marker in " ".join(psutil.Process(proc.pid).cmdline()))
    yield proc, marker
    proc.kill()
    proc.wait()


# -- the cases -------------------------------------------------------------------------
def test_a_numeric_signal_works(victim, tmp_path: Path) -> None:
    proc, _ = victim
    pid_file = tmp_path / "victim.pid"
    pid_file.write_text(str(proc.pid))
    out = process.signal_processes(signal=18, pid_file=str(pid_file))  # SIGCONT: harmless
    assert out["signal"] == "SIGCONT"
    assert out["processes"] == [{"pid": proc.pid, "name": psutil.Process(proc.pid).name()}]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"name_pattern": "x", "max_processes": "abc"}, "max_processes"),
        ({"name_pattern": -100}, "name_pattern"),
        ({"pid_file": 12}, "pid_file"),
        ({"signal": True, "name_pattern": "x"}, "signal"),
        ({"signal": [9], "name_pattern": "x"}, "signal"),
    ],
)
def test_a_wrong_type_is_one_line_naming_the_field(arguments: dict, field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        process.signal_processes(**arguments)
    assert str(err.value).startswith(f"invalid argument '{field}': ")
    assert "\n" not in str(err.value)


def test_in_a_real_run_a_numeric_signal_works_and_a_bad_type_is_one_line(
    tmp_path: Path, chaos_env: dict[str, str], victim
) -> None:
    proc, _ = victim
    pid_file = tmp_path / "victim.pid"
    pid_file.write_text(str(proc.pid))
    mod = "chaosguard.actions.process"
    doc = experiment(
        [
            action("cont", mod, "signal_processes", signal=18, pid_file=str(pid_file)),
            action("bad", mod, "signal_processes", name_pattern="x", max_processes="abc"),
        ],
        controls=[],
    )
    res = chaos_run(tmp_path, doc, chaos_env, timeout=90)
    cont, bad = res.journal["run"]
    assert cont["status"] == "succeeded", cont
    assert bad["status"] == "failed"
    last = "".join(bad["exception"]).strip().splitlines()[-1]
    assert "invalid argument 'max_processes': Input should be a valid integer" in last
    assert "AttributeError" not in "".join(bad["exception"])


# -- mutants, one test per action module --------------------------------------------------------
@MUTANTS
@given(data=st.data())
def test_process_mutants(data: st.DataObject, victim, operator_policy, tmp_path: Path) -> None:
    proc, marker = victim
    operator_policy(local={"allow_process_patterns": [marker], "max_processes": 1})
    pid_file = tmp_path / "victim.pid"
    pid_file.write_text(str(proc.pid))
    func, base = data.draw(
        st.sampled_from(
            [
                (process.signal_processes, {"signal": "SIGCONT", "name_pattern": marker}),
                (process.signal_processes, {"signal": 18, "pid_file": str(pid_file)}),
                (process.pause_processes, {"name_pattern": marker, "max_processes": 1}),
            ]
        )
    )
    _call(func, data.draw(mutants(base)))
    process.resume_processes()
    if proc.poll() is None:
        assert psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED


@MUTANTS
@given(data=st.data())
def test_stress_mutants(data: st.DataObject, operator_policy) -> None:
    operator_policy(local={"max_cpu_workers": 1, "max_memory_mib": 16})
    func, base = data.draw(
        st.sampled_from(
            [
                (stress.stress_cpu, {"workers": 1, "load_percent": 5.0, "duration_s": 2.0}),
                (stress.stress_memory, {"mib": 8, "duration_s": 2.0}),
                (stress.stop_stress, {"kind": "all"}),
            ]
        )
    )
    try:
        _call(func, data.draw(mutants(base)))
    finally:
        stress.stop_stress()


@pytest.fixture()
def upstream() -> Iterator[str]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.listen(64)
        yield f"127.0.0.1:{server.getsockname()[1]}"


@MUTANTS
@given(data=st.data())
def test_latency_mutants(data: st.DataObject, operator_policy, upstream: str) -> None:
    operator_policy()
    base_start = {"name": "mut", "listen": "127.0.0.1:0", "upstream": upstream, "latency_ms": 5.0}
    func, base = data.draw(
        st.sampled_from(
            [
                (latency.start_latency_proxy, base_start),
                (latency.set_latency, {"name": "mut", "latency_ms": 10.0, "direction": "both"}),
                (latency.remove_latency, {"name": "mut"}),
                (latency.stop_latency_proxy, {"name": "mut"}),
                (latency.revert_latency_proxy, {"name": "mut"}),
            ]
        )
    )
    try:
        if func is not latency.start_latency_proxy:
            latency.start_latency_proxy(**base_start)
        _call(func, data.draw(mutants(base)))
    finally:
        latency.revert_latency_proxy()


@MUTANTS
@given(data=st.data())
def test_sampler_mutants(data: st.DataObject, upstream: str) -> None:
    func, base = data.draw(
        st.sampled_from(
            [
                (sampler.start_http_sampler, {"name": "mut", "url": f"http://{upstream}/"}),
                (sampler.stop_http_sampler, {"name": "mut"}),
            ]
        )
    )
    try:
        _call(func, data.draw(mutants(base)))
    finally:
        sampler.stop_http_sampler("mut")


@MUTANTS
@given(data=st.data())
def test_kubernetes_mutants(
    data: st.DataObject, operator_policy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # no cluster: a well-typed call ends at the kubeconfig check, after every type was checked
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent-kubeconfig"))
    operator_policy()
    selector = {"namespace": "web", "label_selector": "app=web"}
    func, base = data.draw(
        st.sampled_from(
            [
                (pods.kill_pods, {**selector, "count": 1, "order": "random", "dry_run": True}),
                (chaosmesh.add_network_latency, {**selector, "latency_ms": 10.0, "mode": "all"}),
                (chaosmesh.stress_pods, {**selector, "cpu_workers": 1, "mode_value": ""}),
                (chaosmesh.remove_chaos_mesh_faults, {"kind": "network"}),
            ]
        )
    )
    _call(func, data.draw(mutants(base)))
