"""The SQLite result store of a sweep: one row per finished point, committed at once.

Durability: the database runs in WAL mode and every finished point is its own committed
transaction, written by the single parent process. A committed transaction is in the WAL
file before ``commit()`` returns, so killing the sweep (even with SIGKILL) loses no finished
point (``synchronous=NORMAL``; only a power failure could drop the last commits). Rows are
keyed by the point's id and inserted with ``INSERT OR IGNORE``, so a point is stored exactly
once however often a sweep is resumed.

Identity: the ``meta`` table records the digest of the spec that created the store. Opening
it for another spec is an error *before anything is written* (the check uses a read-only
connection).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexsa import __version__
from flexsa.errors import ConfigError
from flexsa.sweep.points import Point
from flexsa.sweep.spec import SweepSpec

STORE_FORMAT = "flexsa-sweep-1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    point_id TEXT PRIMARY KEY,
    idx INTEGER NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    metrics TEXT,
    config TEXT,
    error TEXT,
    version TEXT NOT NULL,
    seconds REAL,
    finished_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class StoredPoint:
    """One row of the store."""

    point_id: str
    index: int
    params: dict[str, Any]
    status: str
    metrics: dict[str, Any]
    config: dict[str, Any]
    error: str
    version: str
    seconds: float
    finished_at: float


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that creates no file: a cleanly closed store (no ``-wal``) is
    opened ``immutable``; after a crash the WAL holds committed rows and is read as well."""
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() else "immutable=1"
    return sqlite3.connect(f"file:{path}?{mode}", uri=True)


def _read_meta(path: Path) -> dict[str, str]:
    """The meta table of an existing store (read-only; the file is not modified)."""
    try:
        conn = _connect_read_only(path)
        try:
            rows = conn.execute("SELECT key, value FROM meta").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        raise ConfigError(f"{str(path)!r} is not a flexsa sweep store; choose another --out "
                          "file") from None
    meta = dict(rows)
    if meta.get("format") != STORE_FORMAT:
        raise ConfigError(f"{str(path)!r} is not a flexsa sweep store; choose another --out file")
    return meta


class SweepStore:
    """Open (or create) the store of ``spec`` at ``path``; the parent process is its writer."""

    def __init__(self, path: str | Path, spec: SweepSpec) -> None:
        self.path = Path(path)
        digest = spec.digest
        if self.path.exists():
            meta = _read_meta(self.path)
            if meta.get("spec_digest") != digest:
                raise ConfigError(
                    f"store {str(self.path)!r} was written by another sweep spec; use a new "
                    "--out file or the spec that created it")
        elif not self.path.parent.is_dir():
            raise ConfigError(f"--out directory {str(self.path.parent)!r} does not exist")
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        meta_rows = {"format": STORE_FORMAT, "spec_digest": digest,
                     "spec": json.dumps(spec.normalized(), sort_keys=True),
                     "created_version": __version__, "created_at": str(time.time())}
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)",
                                  list(meta_rows.items()))

    def finished_ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT point_id FROM points")}

    def add(self, point: Point, outcome: dict[str, Any], seconds: float) -> bool:
        """Commit one finished point (``outcome`` from the engine); False if already stored."""
        error = outcome.get("error", "")
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO points VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (point.point_id, point.index, json.dumps(point.params()),
             "error" if error else "ok", json.dumps(outcome.get("metrics", {})),
             json.dumps(outcome.get("config", {})), error, __version__, seconds, time.time()))
        return cursor.rowcount == 1

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_store(path: str | Path) -> tuple[dict[str, str], list[StoredPoint]]:
    """``(meta, rows in point order)`` of a store, read-only."""
    store = Path(path)
    if not store.is_file():
        raise ConfigError(f"sweep store {str(store)!r} not found")
    meta = _read_meta(store)
    conn = _connect_read_only(store)
    try:
        rows = conn.execute("SELECT point_id, idx, params, status, metrics, config, error, "
                            "version, seconds, finished_at FROM points ORDER BY idx").fetchall()
    finally:
        conn.close()
    return meta, list(_rows(rows))


def _rows(rows: list[tuple[Any, ...]]) -> Iterator[StoredPoint]:
    for pid, idx, params, status, metrics, config, error, version, seconds, finished in rows:
        yield StoredPoint(pid, idx, json.loads(params), status, json.loads(metrics or "{}"),
                          json.loads(config or "{}"), error or "", version, seconds or 0.0,
                          finished)
