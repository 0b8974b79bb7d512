"""Shared output helpers: JSON with provenance, CSV rows, rich tables."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flexsa.provenance import provenance
from flexsa.validation import finite_or_none

__all__ = ["csv_text", "dumps", "print_json", "print_table", "provenance", "write_csv"]


def dumps(payload: Any) -> str:
    """Strict JSON (RFC 8259): NaN and infinities become ``null``, never ``NaN``/``Infinity``.

    ``null`` for a number means "not defined or unbounded" (e.g. ``dram_gbps`` of ideal
    memory: unlimited bandwidth); see docs/workloads.md, "JSON output".
    """
    return json.dumps(finite_or_none(_plain(payload)), indent=2, sort_keys=False,
                      allow_nan=False)


def _plain(value: Any) -> Any:
    """Enums, numpy values and dataclasses as plain JSON types (recursively)."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return _plain(_default(value))


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


def write_csv(path: Any, rows: Sequence[Mapping[str, Any]],
              units: Mapping[str, str], config: Mapping[str, Any] | None = None) -> None:
    """``path`` as CSV and ``path.meta.json``: tool version, the full config, column units."""
    from pathlib import Path

    target = Path(path)
    text = csv_text(rows)
    columns = list(rows[0].keys()) if rows else []
    target.write_text(text, encoding="utf-8")
    meta = {**provenance(config), "file": target.name,
            "units": {c: units.get(c, "") for c in columns}}
    target.with_name(target.name + ".meta.json").write_text(dumps(meta) + "\n",
                                                            encoding="utf-8")


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                footer: Sequence[Any] | None = None, drop_first: Sequence[str] = ()) -> None:
    """A terminal table that never breaks a number or word (see :mod:`flexsa.report.tables`)."""
    from flexsa.report.tables import print_table as fitted

    fitted(title, columns, rows, footer, drop_first)
