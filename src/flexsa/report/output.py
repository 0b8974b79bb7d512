"""Shared output helpers: JSON with provenance, CSV rows, rich tables."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flexsa import __version__


def provenance(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The fields every result file carries: tool version and the full config."""
    return {"tool": "flexsa", "version": __version__, "config": dict(config or {})}


def dumps(payload: Any) -> str:
    return json.dumps(payload, indent=2, sort_keys=False, default=_default)


def _default(value: Any) -> Any:
    if hasattr(value, "value"):  # enums
        return value.value
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(payload: Any) -> None:
    sys.stdout.write(dumps(payload) + "\n")


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    buffer = io.StringIO()
    fields = list(columns or (rows[0].keys() if rows else []))
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                footer: Sequence[Any] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_footer=footer is not None)
    for i, column in enumerate(columns):
        numeric = column not in {"layer", "phase", "name", "part", "model", "description"}
        table.add_column(column, justify="right" if numeric else "left", overflow="fold",
                         footer=str(footer[i]) if footer is not None else "")
    for row in rows:
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    Console().print(table)
