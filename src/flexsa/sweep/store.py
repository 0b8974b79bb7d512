"""The SQLite result store of a sweep: one row per finished point, committed at once.

Durability: the database runs in WAL mode and every finished point is its own committed
transaction, written by the single parent process. A committed transaction is in the WAL
file before ``commit()`` returns, so killing the sweep (even with SIGKILL) loses no finished
point (``synchronous=NORMAL``; only a power failure could drop the last commits). Rows are
keyed by the point's id and inserted with ``INSERT OR IGNORE``, so a point is stored exactly
once however often a sweep is resumed.

Concurrency: the writer holds an exclusive ``flock`` on the store file for the whole run, so
a second sweep started on the same store refuses at once with one line (SQLite's own locks
are POSIX record locks, independent of ``flock``); no point is ever evaluated twice.

Integrity: opening a store runs SQLite's ``quick_check`` and checks that every row holds
valid JSON and a known status, so a damaged file is one line ("corrupt"), never a traceback
and never "0 evaluated, N already" over unreadable rows.

Identity: the ``meta`` table records the digest of the spec that created the store. Opening
it for another spec is an error *before anything is written* (the check uses a read-only
connection).
"""

from __future__ import annotations

import json
import os
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


CHECK_ROWS = """SELECT count(*) FROM points WHERE NOT json_valid(params)
    OR (metrics IS NOT NULL AND NOT json_valid(metrics))
    OR (config IS NOT NULL AND NOT json_valid(config))
    OR status NOT IN ('ok', 'error') OR (status = 'ok' AND coalesce(metrics, '{}') = '{}')"""


def _corrupt(path: Path, why: object) -> ConfigError:
    return ConfigError(f"sweep store {str(path)!r} is corrupt ({why}); move it away and rerun "
                       "the sweep into a new --out file")


def _read_meta(path: Path) -> dict[str, str]:
    """The meta table of an existing store (read-only; the file is not modified), after an
    integrity check of the whole file."""
    if path.stat().st_size == 0:
        raise ConfigError(f"{str(path)!r} is an empty file, not a flexsa sweep store (another "
                          "sweep may be creating it); choose another --out file")
    try:
        conn = _connect_read_only(path)
    except sqlite3.Error as err:
        raise _corrupt(path, err) from None
    try:
        try:
            rows = conn.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.DatabaseError as err:
            if "no such table" in str(err) or "not a database" in str(err):
                raise ConfigError(f"{str(path)!r} is not a flexsa sweep store; choose another "
                                  "--out file") from None
            raise _corrupt(path, err) from None
        meta = dict(rows)
        if meta.get("format") != STORE_FORMAT:
            raise ConfigError(f"{str(path)!r} is not a flexsa sweep store (it is another SQLite "
                              "database); choose another --out file")
        _check_integrity(conn, path)
    finally:
        conn.close()
    return meta


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    try:
        status = conn.execute("PRAGMA quick_check").fetchone()[0]
        bad = conn.execute(CHECK_ROWS).fetchone()[0] if status == "ok" else 0
    except sqlite3.DatabaseError as err:
        raise _corrupt(path, err) from None
    if status != "ok":
        raise _corrupt(path, f"SQLite quick_check: {status}")
    if bad:
        raise _corrupt(path, f"{bad} unreadable row(s)")


class _WriterLock:
    """An exclusive ``flock`` on the store file, held by the one writing sweep."""

    def __init__(self, path: Path) -> None:
        self.created = False
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            self.created = True
        except FileExistsError:
            self.fd = os.open(path, os.O_RDWR)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no concurrent-writer guard
            return
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            raise ConfigError(f"sweep store {str(path)!r} is being written by another running "
                              "sweep; wait for it to finish (then rerun to resume) or use "
                              "another --out file") from None

    def release(self) -> None:
        os.close(self.fd)


class SweepStore:
    """Open (or create) the store of ``spec`` at ``path``; the parent process is its writer."""

    def __init__(self, path: str | Path, spec: SweepSpec) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ConfigError(f"--out {str(self.path)!r} is a directory; give a .sqlite file")
        if not self.path.parent.is_dir():
            raise ConfigError(f"--out directory {str(self.path.parent)!r} does not exist")
        self.lock = _WriterLock(self.path)
        try:
            self._open(spec)
        except BaseException:
            self.lock.release()
            if self.lock.created and self.path.stat().st_size == 0:
                self.path.unlink()  # nothing was written: leave no file behind
            raise

    def _open(self, spec: SweepSpec) -> None:
        digest = spec.digest
        if not self.lock.created and self.path.stat().st_size > 0:
            meta = _read_meta(self.path)
            if meta.get("spec_digest") != digest:
                raise ConfigError(
                    f"store {str(self.path)!r} was written by another sweep spec; use a new "
                    "--out file or the spec that created it")
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
            (point.point_id, point.index, _json(point.params()),
             "error" if error else "ok", _json(outcome.get("metrics", {})),
             _json(outcome.get("config", {})), error, __version__, seconds, time.time()))
        return cursor.rowcount == 1

    def close(self) -> None:
        self.conn.close()
        self.lock.release()

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _json(value: Any) -> str:
    """Strict JSON for a stored column: NaN and infinities are stored as null."""
    from flexsa.validation import finite_or_none

    return json.dumps(finite_or_none(value), allow_nan=False)


def read_store(path: str | Path) -> tuple[dict[str, str], list[StoredPoint]]:
    """``(meta, rows in point order)`` of a store, read-only."""
    from flexsa.paths import input_file

    store = input_file(path, "sweep store", ConfigError)
    meta = _read_meta(store)
    conn = _connect_read_only(store)
    try:
        rows = conn.execute("SELECT point_id, idx, params, status, metrics, config, error, "
                            "version, seconds, finished_at FROM points ORDER BY idx").fetchall()
        return meta, list(_rows(rows))
    except (sqlite3.DatabaseError, ValueError, TypeError) as err:
        raise _corrupt(store, err) from None
    finally:
        conn.close()


def _rows(rows: list[tuple[Any, ...]]) -> Iterator[StoredPoint]:
    for pid, idx, params, status, metrics, config, error, version, seconds, finished in rows:
        yield StoredPoint(pid, idx, json.loads(params), status, json.loads(metrics or "{}"),
                          json.loads(config or "{}"), error or "", version, seconds or 0.0,
                          finished)
