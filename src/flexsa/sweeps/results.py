"""One row per point of a sweep store: its parameters, status and flat metrics.

Metric names carry their unit (``cycles``, ``*_bytes``, ``energy_pj_*``, ``area_mm2``,
``*_gbps``); ``seconds`` is simulated time and ``host_seconds`` the host time the point took.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flexsa.errors import ConfigError
from flexsa.runner import read_store

LEAD_COLUMNS = ("index", "point_id", "arch", "model", "batch", "pruning", "memory")
TAIL_COLUMNS = ("status", "error", "version", "host_seconds")


def sweep_records(path: str | Path) -> list[dict[str, Any]]:
    """Rows as dicts: parameters, then metrics (cycles, utilization, traffic, energy...)."""
    meta, rows = read_store(path, "sweep store")
    if meta.get("kind") != "sweep":
        raise ConfigError(f"{str(path)!r} is not a flexsa sweep store (it holds a "
                          f"{meta.get('kind')!r} run); choose a sweep's --out file")
    records = []
    for row in rows:
        record: dict[str, Any] = {"index": row.index, "point_id": row.task_id}
        record.update(row.config["params"])
        record.update((row.result or {}).get("metrics", {}))
        record.update({"status": row.status, "error": row.error, "version": row.version,
                       "host_seconds": row.seconds})
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


_UNITS = (("host_seconds", "s of host time (not simulated)"), ("seconds", "s simulated"),
          ("cycles", "cycles"), ("_bytes", "bytes"), ("energy_pj", "pJ"), ("mm2", "mm2"),
          ("gbps", "GB/s"), ("_mib", "MiB"), ("ghz", "GHz"), ("waves_by_mode", "waves"),
          ("macs", "MACs"), ("pe_utilization", "ratio"), ("batch", "samples"))


def column_units(columns: list[str]) -> dict[str, str]:
    """The unit of each exported column, read from its name ("" for labels and counts)."""
    units = {}
    for column in columns:
        units[column] = next((unit for key, unit in _UNITS
                              if column == key or column.endswith(key) or key in column), "")
    return units
