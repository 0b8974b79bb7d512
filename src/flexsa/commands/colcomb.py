"""``flexsa colcomb ...``: joint prune -> combine -> retrain (placeholder)."""

from __future__ import annotations

import typer

colcomb_app = typer.Typer(help="Column combining: joint optimisation.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(colcomb_app, name="colcomb")
