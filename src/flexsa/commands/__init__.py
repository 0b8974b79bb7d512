"""CLI command groups, one module each. Each module exposes ``register(app)``.

Modules here import only typer and light flexsa modules at import time.
"""

from __future__ import annotations

import importlib

import typer

# Each entry is a module in this package with a ``register(app: typer.Typer)`` function.
COMMAND_MODULES: tuple[str, ...] = (
    "model",
    "arch",
    "compile",
    "simulate",
    "verify",
    "scalesim",
    "energy",
    "area",
    "prune",
    "sweep",
    "pack",
    "colcomb",
    "sparse",
    "reproduce",
    "rtl",
)


def register_one(app: typer.Typer, name: str) -> None:
    """Register the command group ``name`` (a module here named like the command)."""
    importlib.import_module(f"flexsa.commands.{name}").register(app)


def register_all(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        register_one(app, name)
