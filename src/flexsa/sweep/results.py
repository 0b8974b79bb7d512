"""One row per point of a sweep store: its parameters, status and flat metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flexsa.sweep.store import read_store

LEAD_COLUMNS = ("index", "point_id", "arch", "model", "batch", "pruning", "memory")
TAIL_COLUMNS = ("status", "error", "version", "seconds")


def sweep_records(path: str | Path) -> list[dict[str, Any]]:
    """Rows as dicts: parameters, then metrics (cycles, utilization, traffic, energy...)."""
    _, rows = read_store(path)
    records = []
    for row in rows:
        record: dict[str, Any] = {"index": row.index, "point_id": row.point_id}
        record.update(row.params)
        record.update(row.metrics)
        record.update({"status": row.status, "error": row.error, "version": row.version,
                       "seconds": row.seconds})
        records.append(record)
    return records


def columns_of(records: list[dict[str, Any]]) -> list[str]:
    """Stable column order: parameters, set fields, metrics, bookkeeping."""
    seen: dict[str, None] = dict.fromkeys(LEAD_COLUMNS)
    for record in records:
        for key in record:
            if key not in TAIL_COLUMNS:
                seen.setdefault(key, None)
    return [*seen, *TAIL_COLUMNS]


def sweep_frame(path: str | Path) -> Any:
    """The store as a pandas DataFrame (one row per finished point)."""
    import pandas as pd

    records = sweep_records(path)
    return pd.DataFrame.from_records(records, columns=columns_of(records))
