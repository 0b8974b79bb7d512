"""``flexsa reproduce colcomb`` (placeholder)."""

from __future__ import annotations

import typer


def register(reproduce_app: typer.Typer) -> None:
    pass
