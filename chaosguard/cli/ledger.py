"""``chaos ledger``: what the fault ledger of this machine holds (being written: issue 12)."""

from __future__ import annotations

import click

__all__ = ["ledger"]


@click.group("ledger")
def ledger() -> None:
    """Inspect the fault ledger of this machine."""
