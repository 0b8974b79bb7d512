"""The click that typer uses: vendored as ``typer._click`` in typer >= 0.26, else click."""

from __future__ import annotations

try:  # typer >= 0.26 vendors its own copy of click
    from typer._click import core, exceptions
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer on plain click
    from click import core, exceptions  # type: ignore[no-redef]
    from click.globals import get_current_context  # type: ignore[no-redef]

ClickException = exceptions.ClickException
UsageError = exceptions.UsageError
NoArgsIsHelpError = exceptions.NoArgsIsHelpError
ParameterSource = core.ParameterSource
ABORTS: tuple[type[BaseException], ...] = tuple(
    {getattr(exceptions, "Abort", RuntimeError), __import__("typer").Abort} - {RuntimeError})

__all__ = ["ABORTS", "ClickException", "NoArgsIsHelpError", "ParameterSource", "UsageError",
           "get_current_context"]
