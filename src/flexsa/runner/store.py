"""The SQLite run store: one row per finished task, committed the moment it finishes.

Durability: the database runs in WAL mode and every finished task is its own committed
transaction, written by the single parent process. A committed transaction is in the WAL
file before ``commit()`` returns, so killing a run (even with SIGKILL) loses no finished
task (``synchronous=NORMAL``; only a power failure could drop the last commits). Rows are
keyed by the task's id (a digest of its full config) and inserted with ``INSERT OR IGNORE``,
so a task is stored exactly once however often a run is resumed.

Concurrency: the writer holds an exclusive ``flock`` on the store file for the whole run, so
a second run started on the same store refuses at once with one line (SQLite's own locks
are POSIX record locks, independent of ``flock``); no task is ever evaluated twice.

Integrity: opening a store runs SQLite's ``quick_check`` and checks that every row holds
valid JSON and a known status, so a damaged file is one line ("corrupt"), never a traceback.

Identity: the ``meta`` table records the store's *kind* (``sweep``, ``reproduce-flexsa``...),
the digest of the config that created it, that config and the tool version. Opening it for
another kind or config is an error *before anything is written* (a read-only connection).
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
from flexsa.runner.task import Task, digest

STORE_FORMAT = "flexsa-runs-1"
STORE_FILE = "runs.sqlite"   # a reproduction's store: --out DIR holds DIR/runs.sqlite
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    idx INTEGER NOT NULL,
    label TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    error TEXT,
    version TEXT NOT NULL,
    seconds REAL,
    finished_at REAL NOT NULL
);
"""
CHECK_ROWS = """SELECT count(*) FROM tasks WHERE NOT json_valid(config)
    OR (result IS NOT NULL AND NOT json_valid(result))
    OR status NOT IN ('ok', 'error') OR (status = 'ok' AND result IS NULL)"""


@dataclass(frozen=True)
class StoreIdentity:
    """What a store holds: its kind, the config all its tasks share, and how to name it in
    messages (``what``: "sweep store"; ``option``: the flag that chose the path)."""

    kind: str
    config: dict[str, Any]
    what: str = "run store"
    option: str = "--out"
    mismatch: str = "was written with another configuration; use a new --out or the " \
                    "configuration that created it"

    @property
    def digest(self) -> str:
        return digest({"kind": self.kind, "config": self.config}, 64)


@dataclass(frozen=True)
class StoredTask:
    """One row of the store."""

    task_id: str
    index: int
    label: str
    config: dict[str, Any]
    status: str
    result: Any
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


def _corrupt(path: Path, why: object, what: str) -> ConfigError:
    return ConfigError(f"{what} {str(path)!r} is corrupt ({why}); move it away and rerun "
                       "into a new --out")


def read_meta(path: Path, what: str = "run store") -> dict[str, str]:
    """The meta table of an existing store (read-only; the file is not modified), after an
    integrity check of the whole file."""
    if path.stat().st_size == 0:
        raise ConfigError(f"{str(path)!r} is an empty file, not a flexsa {what} (another "
                          "run may be creating it); choose another --out")
    try:
        conn = _connect_read_only(path)
    except sqlite3.Error as err:
        raise _corrupt(path, err, what) from None
    try:
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as err:
            if "no such table" in str(err) or "not a database" in str(err):
                raise ConfigError(f"{str(path)!r} is not a flexsa {what}; choose another "
                                  "--out") from None
            raise _corrupt(path, err, what) from None
        if meta.get("format") != STORE_FORMAT:
            raise ConfigError(f"{str(path)!r} is not a flexsa {what} (it is another SQLite "
                              "database or an older store format); choose another --out")
        _check_integrity(conn, path, what)
    finally:
        conn.close()
    return meta


def _check_integrity(conn: sqlite3.Connection, path: Path, what: str) -> None:
    try:
        status = conn.execute("PRAGMA quick_check").fetchone()[0]
        bad = conn.execute(CHECK_ROWS).fetchone()[0] if status == "ok" else 0
    except sqlite3.DatabaseError as err:
        raise _corrupt(path, err, what) from None
    if status != "ok":
        raise _corrupt(path, f"SQLite quick_check: {status}", what)
    if bad:
        raise _corrupt(path, f"{bad} unreadable row(s)", what)


def prepare_out_dir(path: Path) -> Path:
    """Create an ``--out`` directory if needed and check that files can be written there."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {path}: exists and is not a directory; choose a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".flexsa-write-test"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ConfigError(f"--out {path}: cannot write there ({reason}); "
                          "choose a writable directory") from None
    return path


def check_identity(path: Path, identity: StoreIdentity) -> None:
    """Refuse (one line) an existing store of another kind or config; read-only, so a
    study can check before any expensive preparation. No file (or an empty one): fine."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    meta = read_meta(path, identity.what)
    if meta.get("kind") != identity.kind or meta.get("config_digest") != identity.digest:
        raise ConfigError(f"{identity.what} {str(path)!r} {identity.mismatch}")


class _WriterLock:
    """An exclusive ``flock`` on the store file, held by the one writing run."""

    def __init__(self, path: Path, what: str) -> None:
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
            raise ConfigError(f"{what} {str(path)!r} is being written by another running "
                              "process; wait for it to finish (then rerun to resume) or use "
                              "another --out") from None

    def release(self) -> None:
        os.close(self.fd)


def remove_store(path: Path, what: str = "run store") -> None:
    """Delete a store (``--force``), refusing with one line while another process writes it."""
    if not path.exists():
        return
    lock = _WriterLock(path, what)
    try:
        for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
            path.with_name(name).unlink(missing_ok=True)
    finally:
        lock.release()


class RunStore:
    """Open (or create) the store of ``identity`` at ``path``; this process is its writer."""

    def __init__(self, path: str | Path, identity: StoreIdentity) -> None:
        self.path = Path(path)
        self.identity = identity
        if self.path.is_dir():
            raise ConfigError(f"{identity.option} {str(self.path)!r} is a directory; give a "
                              ".sqlite file")
        if not self.path.parent.is_dir():
            raise ConfigError(f"{identity.option} directory {str(self.path.parent)!r} does "
                              "not exist")
        self.lock = _WriterLock(self.path, identity.what)
        try:
            self._open()
        except BaseException:
            self.lock.release()
            if self.lock.created and self.path.stat().st_size == 0:
                self.path.unlink()  # nothing was written: leave no file behind
            raise

    def _open(self) -> None:
        ident = self.identity
        if not self.lock.created:
            check_identity(self.path, ident)
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        meta_rows = {"format": STORE_FORMAT, "kind": ident.kind,
                     "config_digest": ident.digest,
                     "config": json.dumps(ident.config, sort_keys=True),
                     "created_version": __version__, "created_at": str(time.time())}
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)",
                                  list(meta_rows.items()))

    def finished_ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT task_id FROM tasks")}

    def add(self, task: Task, result: Any, error: str, seconds: float) -> bool:
        """Commit one finished task; False if it was already stored."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (task.task_id, task.index, task.label, to_json(task.config),
             "error" if error else "ok", None if error else to_json(result), error,
             __version__, seconds, time.time()))
        return cursor.rowcount == 1

    def rows(self) -> list[StoredTask]:
        return list(_rows(self.conn.execute(SELECT_ROWS).fetchall()))

    def close(self) -> None:
        self.conn.close()
        self.lock.release()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def to_json(value: Any) -> str:
    """Strict JSON for a stored column: NaN and infinities are stored as null."""
    from flexsa.validation import finite_or_none

    return json.dumps(finite_or_none(value), allow_nan=False)


SELECT_ROWS = ("SELECT task_id, idx, label, config, status, result, error, version, seconds, "
               "finished_at FROM tasks ORDER BY idx, finished_at")


def read_store(path: str | Path, what: str = "run store"
               ) -> tuple[dict[str, str], list[StoredTask]]:
    """``(meta, rows in task order)`` of a store, read-only."""
    from flexsa.paths import input_file

    store = input_file(path, what, ConfigError)
    meta = read_meta(store, what)
    conn = _connect_read_only(store)
    try:
        return meta, list(_rows(conn.execute(SELECT_ROWS).fetchall()))
    except (sqlite3.DatabaseError, ValueError, TypeError) as err:
        raise _corrupt(store, err, what) from None
    finally:
        conn.close()


def _rows(rows: list[tuple[Any, ...]]) -> Iterator[StoredTask]:
    for tid, idx, label, config, status, result, error, version, seconds, finished in rows:
        yield StoredTask(tid, idx, label, json.loads(config),
                         status, json.loads(result) if result is not None else None,
                         error or "", version, seconds or 0.0, finished)
