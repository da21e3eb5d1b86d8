"""The runner's rules with a stand-in ``chaos`` (``fake_chaos.py``): order, stop/continue, recovery
waits, exit-code precedence, score, the wiring of the shared policy and guards, and what reports
record."""

from __future__ import annotations

import json
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from chaosguard.gameday.progress import RichEvents
from chaosguard.gameday.runner import run_gameday
from chaosguard.gameday.suite import load_suite
from chaosguard.gameday.verdict import Verdict

FAKE = Path(__file__).with_name("fake_chaos.py")
GUARD = {"name": "value", "source": "python", "func": "tests.guard_values:read_value", "max": 10}


@pytest.fixture()
def chaos(tmp_path: Path) -> str:
    """An executable that runs ``fake_chaos.py`` with this interpreter."""
    path = tmp_path / "chaos"
    path.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE} "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.fixture()
def value_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The value the suite guard reads (1: healthy)."""
    path = tmp_path / "value.txt"
    path.write_text("1")
    monkeypatch.setenv("CG_TEST_VALUE_FILE", str(path))
    return path


def suite(tmp_path: Path, fakes: list[dict[str, Any]], **extra: Any) -> Any:
    """A suite of experiments whose ``fake`` blocks drive fake_chaos; loaded without experiment
    checks."""
    names = []
    for i, fake in enumerate(fakes):
        name = f"exp{i}.yaml"
        (tmp_path / name).write_text(
            yaml.safe_dump({"title": f"experiment {i}", "method": [], "fake": fake})
        )
        names.append(name)
    (tmp_path / "policy.yaml").write_text("guard: {interval_s: 0.5}\n")
    doc = {
        "name": "unit",
        "policy": "policy.yaml",
        "guards": [GUARD],
        "experiments": names,
        "recovery": {"timeout_s": 0.3, "interval_s": 0.05},
        **extra,
    }
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(doc))
    return load_suite(str(tmp_path / "suite.yaml"), check=False)


def run(tmp_path: Path, chaos: str, fakes: list[dict[str, Any]], **extra: Any) -> Any:
    return run_gameday(suite(tmp_path, fakes, **extra), tmp_path / "out", chaos=chaos)


def outcomes(result: Any) -> list[str]:
    return [r.outcome for r in result.results]


@pytest.mark.usefixtures("value_file")
def test_all_met(tmp_path: Path, chaos: str) -> None:
    result = run(tmp_path, chaos, [{}, {}])
    assert outcomes(result) == ["met", "met"]
    assert result.verdict is Verdict.OK and result.score == 100.0 and result.stopped is None
    assert (
        result.results[0].recovery is None and result.results[1].recovery.healthy
    )  # waited before #2 only
    data = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert data["exit_code"] == 0 and data["counts"] == {"met": 2}
    assert [e["directory"] for e in data["experiments"]] == [
        str(tmp_path / "out" / "01-exp0"),
        str(tmp_path / "out" / "02-exp1"),
    ]


@pytest.mark.usefixtures("value_file")
def test_shared_policy_and_guards_reach_every_run(tmp_path: Path, chaos: str) -> None:
    run(tmp_path, chaos, [{}, {}], chaos_args=["--rollback-strategy", "always"])
    for i in (1, 2):
        directory = tmp_path / "out" / f"0{i}-exp{i - 1}"
        control = yaml.safe_load((directory / "chaosguard-control.yaml").read_text())
        args = control["chaosguard"]["provider"]["arguments"]
        assert control["chaosguard"]["provider"]["module"] == "chaosguard.guard"
        assert args["policy_file"] == str(tmp_path / "policy.yaml")
        assert [g["name"] for g in args["guards"]] == ["value"] and args["guards"][0][
            "source"
        ] == "python"
        seen = json.loads((directory / "argv.json").read_text())
        argv = seen["argv"]
        assert seen["policy"] == str(tmp_path / "policy.yaml")  # CHAOSGUARD_POLICY
        assert argv[:2] == ["--no-version-check", "--log-file"] and argv[3] == "run"
        assert argv[argv.index("--control-file") + 1] == str(directory / "chaosguard-control.yaml")
        assert argv[-3:-1] == ["--rollback-strategy", "always"]
        assert argv[-1] == str(tmp_path / f"exp{i - 1}.yaml")


@pytest.mark.usefixtures("value_file")
@pytest.mark.parametrize("module", ["chaosguard.guard", "chaosguard.safety.guard"])
def test_an_experiments_own_control_arguments_are_kept(
    tmp_path: Path, chaos: str, module: str
) -> None:
    gameday = suite(tmp_path, [{}])
    doc = gameday.experiments[0].document
    doc["controls"] = [
        {
            "name": "chaosguard",
            "provider": {
                "type": "python",
                "module": module,
                "arguments": {
                    "policy_file": "mine.yaml",
                    "live": True,
                    "guards": [{"name": "own", "source": "python", "func": "m:f", "min": 1}],
                },
            },
        }
    ]
    result = run_gameday(gameday, tmp_path / "out", chaos=chaos)
    args = yaml.safe_load((tmp_path / "out" / "01-exp0" / "chaosguard-control.yaml").read_text())[
        "chaosguard"
    ]["provider"]["arguments"]
    assert [g["name"] for g in args["guards"]] == [
        "value",
        "own",
    ]  # the suite's, then the experiment's
    assert args["policy_file"] == str(tmp_path / "policy.yaml") and "live" not in args
    assert result.warnings == [
        (
            f"experiment 1 ({tmp_path / 'exp0.yaml'}): its chaosguard control names "
            f"policy_file mine.yaml; it can only make the suite policy "
            f"{tmp_path / 'policy.yaml'} stricter"
        )
    ]


@pytest.mark.usefixtures("value_file")
def test_abort_stops_the_suite(tmp_path: Path, chaos: str) -> None:
    breach = {"guard": "p95", "value": 812.5, "threshold": "<= 500", "reason": "objective violated"}
    result = run(tmp_path, chaos, [{}, {"outcome": "aborted", "breach": breach}, {}])
    assert outcomes(result) == ["met", "aborted", "skipped"]
    assert result.results[1].reason == "guard 'p95' breached: 812.5 (objective <= 500)"
    assert "aborted by a guard" in result.results[2].reason
    assert result.verdict is Verdict.ABORTED
    assert result.score == pytest.approx(100 / 3)


@pytest.mark.usefixtures("value_file")
def test_continue_on_abort(tmp_path: Path, chaos: str) -> None:
    result = run(tmp_path, chaos, [{"outcome": "aborted"}, {}], continue_on_abort=True)
    assert outcomes(result) == ["aborted", "met"] and result.verdict is Verdict.ABORTED


@pytest.mark.usefixtures("value_file")
@pytest.mark.parametrize(
    ("fake", "why"),
    [
        ({"journal": False, "rc": 1}, "exited 1 without a journal: fake chaos: met"),
        ({"guarded": False}, "not guarded"),
        ({"outcome": "met", "rc": 1}, "exited 1 but the journal says met"),
        ({"outcome": "action-failed", "reason": "action 'x' failed"}, "action 'x' failed"),
        ({"outcome": "bogus"}, "unknown chaosguard outcome"),
    ],
)
def test_errors_stop_the_suite_with_4(
    tmp_path: Path, chaos: str, fake: dict[str, Any], why: str
) -> None:
    result = run(tmp_path, chaos, [fake, {}])
    assert result.results[0].verdict is Verdict.ERROR and why in result.results[0].reason
    assert outcomes(result)[1] == "skipped"
    assert result.verdict is Verdict.ERROR


@pytest.mark.usefixtures("value_file")
def test_continue_on_error(tmp_path: Path, chaos: str) -> None:
    result = run(tmp_path, chaos, [{"journal": False, "rc": 2}, {}], continue_on_error=True)
    assert outcomes(result) == ["error", "met"] and result.verdict is Verdict.ERROR


@pytest.mark.usefixtures("value_file")
def test_refusals_do_not_stop_and_a_deviation_outranks_them(tmp_path: Path, chaos: str) -> None:
    result = run(
        tmp_path,
        chaos,
        [
            {"outcome": "refused", "reason": "freeze: release"},
            {"outcome": "deviated"},
            {"outcome": "steady-state-unmet"},
        ],
    )
    assert outcomes(result) == ["refused", "deviated", "steady-state-unmet"]
    assert result.verdict is Verdict.DEVIATED  # 1 > 3
    assert result.score == 0.0  # only the deviated one counts


@pytest.mark.usefixtures("value_file")
def test_only_refusals_exit_3_without_a_score(tmp_path: Path, chaos: str) -> None:
    result = run(tmp_path, chaos, [{"outcome": "refused"}, {"outcome": "refused"}])
    assert result.verdict is Verdict.REFUSED and result.score is None


@pytest.mark.usefixtures("value_file")
def test_timeout_interrupts_the_experiment(tmp_path: Path, chaos: str) -> None:
    result = run(tmp_path, chaos, [{"sleep": 30}], experiment_timeout_s=0.5)
    first = result.results[0]
    assert first.outcome == "error" and first.reason.startswith("timed out after 0.5 s")
    assert first.duration_s < 10  # SIGINT ended it, no 30 s wait
    assert result.verdict is Verdict.ERROR


@pytest.mark.usefixtures("value_file")
def test_a_timeout_interrupts_even_when_the_runner_ignores_sigint(
    tmp_path: Path, chaos: str
) -> None:
    import signal

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a script's background job has it
    try:
        result = run(tmp_path, chaos, [{"sleep": 30}], experiment_timeout_s=0.5)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # the runner's own, restored
    finally:
        signal.signal(signal.SIGINT, previous)
    first = result.results[0]
    assert first.reason.startswith("timed out after 0.5 s")
    assert first.duration_s < 10  # the child took the SIGINT: no 30 s wait, no 60 s grace


def test_unhealthy_suite_slo_stops_before_the_next_experiment(
    tmp_path: Path, chaos: str, value_file: Path
) -> None:
    gameday = suite(tmp_path, [{}, {}])
    value_file.write_text("99")  # breached after the first experiment, and stays so
    result = run_gameday(gameday, tmp_path / "out", chaos=chaos)
    assert outcomes(result) == ["met", "skipped"]
    assert result.verdict is Verdict.ERROR
    assert "not healthy within 0.3 s before experiment 2 (value: 99)" in result.errors[0]
    assert result.results[1].reason.startswith("not run: the suite SLOs were not healthy")


def test_unhealthy_suite_slo_with_on_timeout_continue(
    tmp_path: Path, chaos: str, value_file: Path
) -> None:
    gameday = suite(
        tmp_path,
        [{}, {}],
        recovery={"timeout_s": 0.2, "interval_s": 0.05, "on_timeout": "continue"},
    )
    value_file.write_text("99")
    result = run_gameday(gameday, tmp_path / "out", chaos=chaos)
    assert outcomes(result) == ["met", "met"] and result.verdict is Verdict.OK
    assert result.results[1].recovery is not None and not result.results[1].recovery.healthy
    assert "ran anyway" in result.warnings[0]


def test_the_runner_waits_for_recovery(tmp_path: Path, chaos: str, value_file: Path) -> None:
    gameday = suite(tmp_path, [{}, {}], recovery={"timeout_s": 20, "interval_s": 0.05})
    value_file.write_text("99")

    class HealLater:
        """Heal the guard 0.4 s after the wait began (however long experiment 1 took)."""

        def recovery_started(self, planned: Any) -> None:
            threading.Timer(0.4, value_file.write_text, ["2"]).start()

        def __getattr__(self, name: str) -> Any:
            return lambda *args, **kwargs: None

    result = run_gameday(gameday, tmp_path / "out", HealLater(), chaos=chaos)  # type: ignore[arg-type]
    recovery = result.results[1].recovery
    assert outcomes(result) == ["met", "met"] and recovery.healthy and recovery.rounds > 1
    assert 0.2 < recovery.waited_s < 10


@pytest.mark.usefixtures("value_file")
def test_a_failing_report_writer_is_an_error(
    tmp_path: Path, chaos: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chaosguard import journal

    def boom(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(journal, "write_junit", boom)
    result = run(tmp_path, chaos, [{}])
    assert result.verdict is Verdict.ERROR
    assert result.errors == ["junit: chaosguard.journal.write_junit failed: OSError: disk full"]
    data = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert data["exit_code"] == 4 and data["reports"]["junit"] is None


@pytest.mark.usefixtures("value_file")
def test_reports_get_one_journal_per_experiment(
    tmp_path: Path, chaos: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chaosguard import journal

    seen: dict[str, Any] = {}

    def junit(journals: list[dict[str, Any]], path: Path, suite_name: str) -> Path:
        seen.update(journals=journals, suite=suite_name)
        Path(path).write_text("<testsuites/>")
        return Path(path)

    monkeypatch.setattr(journal, "write_junit", junit)
    run(tmp_path, chaos, [{"outcome": "aborted"}, {}])
    first, second = seen["journals"]
    assert seen["suite"] == "unit"
    assert first["chaosguard"]["outcome"] == "aborted" and first["gameday"]["exit_code"] == 2
    assert second["chaosguard"]["outcome"] == "skipped" and second["status"] == "skipped"
    assert second["experiment"]["title"] == "experiment 1"


@pytest.mark.usefixtures("value_file")
def test_rich_progress_shows_every_step(tmp_path: Path, chaos: str) -> None:
    console = Console(record=True, width=200, force_terminal=False)
    gameday = suite(tmp_path, [{}, {"outcome": "deviated"}])
    run_gameday(gameday, tmp_path / "out", events=RichEvents(console), chaos=chaos)
    text = console.export_text()
    assert "game day unit" in text and "✔ met 1/2 experiment 0" in text
    assert "✘ deviated 2/2 experiment 1" in text and "suite SLOs healthy after" in text
    assert "deviated (exit 1) · resilience score 50/100 · 1 met, 1 deviated" in text


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_experiment_and_the_suite(
    tmp_path: Path, chaos: str, value_file: Path, sig: str
) -> None:
    import signal
    import subprocess

    from tests.helpers import python_child, wait_until

    suite(tmp_path, [{"sleep": 30}, {}])
    child = python_child(
        f"""
        from pathlib import Path
        from chaosguard.gameday.runner import run_gameday
        from chaosguard.gameday.suite import load_suite
        result = run_gameday(
            load_suite({str(tmp_path / "suite.yaml")!r}, check=False),
            Path({str(tmp_path / "out")!r}),
            chaos={chaos!r},
        )
        print(int(result.verdict), flush=True)
    """,
        env={"CG_TEST_VALUE_FILE": str(value_file)},
    )
    try:
        assert wait_until(lambda: (tmp_path / "out" / "01-exp0" / "argv.json").exists(), timeout=15)
        child.send_signal(getattr(signal, sig))
        out, err = child.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
        raise
    assert out.strip() == "4", err
    data = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [e["outcome"] for e in data["experiments"]] == ["error", "skipped"]
    assert data["experiments"][0]["reason"] == "interrupted: the game day was asked to stop"
    assert data["errors"][0].startswith("interrupted (SIGINT/SIGTERM) while running experiment 1")


@pytest.mark.usefixtures("value_file")
def test_every_file_is_redacted_in_place_and_private(
    tmp_path: Path, chaos: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = "https://hooks.example.com/T0/abcdefgh12345678"
    monkeypatch.setenv("CG_HOOK", hook)
    plan = suite(tmp_path, [{"outcome": "deviated", "reason": f"posted to {hook}"}])
    document = plan.experiments[0].document
    document["configuration"] = {"hook": {"type": "env", "key": "CG_HOOK"}}
    result = run_gameday(plan, tmp_path / "out", chaos=chaos)
    assert result.results[0].reason == "posted to ***"
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert {"journal.json", "argv.json", "output.log", "chaosguard-control.yaml"} <= {
        p.name for p in files
    }
    assert [p.name for p in files if hook in p.read_text()] == []
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [tmp_path / "out", *files]} | {
        p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").rglob("*/")
    }
    assert {n: oct(m) for n, m in modes.items() if m not in (0o600, 0o700)} == {}
    assert stat.S_IMODE((tmp_path / "out" / "01-exp0").stat().st_mode) == 0o700
