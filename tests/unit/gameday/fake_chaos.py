"""A stand-in for ``chaos`` in runner tests: writes the journal the experiment file asks for.

The experiment's ``fake`` block says what to do: ``outcome`` (written in the ``chaosguard``
section), ``reason``, ``rc`` (default 0 for met, else 1), ``sleep`` (seconds, before writing),
``journal: false`` (write none), ``guarded: false`` (no ``chaosguard`` section), ``breach`` (the
breach record). It also writes ``argv.json`` next to the journal: its arguments and
``CHAOSGUARD_POLICY``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import yaml


def main(argv: list[str]) -> int:
    """Behave as the experiment's ``fake`` block says."""
    journal_path = Path(argv[argv.index("--journal-path") + 1])
    journal_path.parent.mkdir(parents=True, exist_ok=True)
    (journal_path.parent / "argv.json").write_text(
        json.dumps({"argv": argv, "policy": os.environ.get("CHAOSGUARD_POLICY")})
    )
    experiment = yaml.safe_load(Path(argv[-1]).read_text())
    fake = experiment.get("fake") or {}
    outcome = fake.get("outcome", "met")
    print(f"fake chaos: {outcome}", flush=True)
    time.sleep(float(fake.get("sleep", 0)))
    if fake.get("journal", True):
        journal = {
            "experiment": experiment,
            "status": {"aborted": "aborted", "met": "completed", "deviated": "completed"}.get(
                outcome, "failed"
            ),
            "deviated": outcome == "deviated",
            "start": "2026-11-26T10:00:00",
            "duration": 0.1,
            "steady_states": {"before": None, "after": None, "during": []},
            "run": [],
            "rollbacks": [],
        }
        if fake.get("guarded", True):
            journal["chaosguard"] = {
                "outcome": outcome,
                "reason": fake.get("reason"),
                "breach": fake.get("breach"),
                "guards": [],
                "ledger": [],
            }
        journal_path.write_text(json.dumps(journal))
    return int(fake.get("rc", 0 if outcome == "met" else 1))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
