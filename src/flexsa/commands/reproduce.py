"""``flexsa reproduce ...``: one sub-command per published evaluation."""

from __future__ import annotations

import importlib

import typer

reproduce_app = typer.Typer(help="Reproduce a published evaluation.", no_args_is_help=True)

# Each entry is a module in flexsa.commands with ``register(reproduce_app)``.
REPRODUCE_MODULES: tuple[str, ...] = ("reproduce_flexsa", "reproduce_colcomb", "reproduce_flexagon")


def register(app: typer.Typer) -> None:
    for name in REPRODUCE_MODULES:
        importlib.import_module(f"flexsa.commands.{name}").register(reproduce_app)
    app.add_typer(reproduce_app, name="reproduce")
