"""Results written as each run finishes, and resumed from on a rerun.

``DIR/runs.jsonl`` is the journal: one JSON object per finished run, appended, flushed and
fsynced at once, so an interrupted evaluation leaves every finished result readable (a
torn last line is ignored). ``DIR/runs.csv`` is the same records as a tidy CSV, appended in
step and rewritten from the journal when a run resumes; its column names carry their unit
(``*_bytes``, ``*_pj``, ``host_seconds``) and ``DIR/runs.csv.meta.json`` gives the unit of every
column with the tool version and settings. ``DIR/manifest.json`` holds the
settings fingerprint and tool version: a rerun with other settings refuses to mix results
unless ``--force`` starts over.

A rerun with other *filters* (``--models``, ``--configs``, ``--memory``, ``--studies``) merges
explicitly: ``runs.jsonl`` is the cache of every finished run (reused by any selection), while
``runs.csv`` and ``summary.json``, once a run completes, hold exactly the runs of the current
selection, so they always agree. While a run is in progress (or after it was killed) there is
no ``summary.json`` and ``runs.csv`` mirrors the journal.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, TextIO

from flexsa import __version__
from flexsa.errors import ConfigError
from flexsa.paths import ExclusiveLock
from flexsa.report.evaluation.backend import ENERGY_KEYS, MODE_KEYS, Metrics
from flexsa.report.evaluation.matrix import Interval, Target, Variant, record_key

JOURNAL = "runs.jsonl"
CSV_NAME = "runs.csv"
MANIFEST = "manifest.json"
LOCK = ".flexsa.lock"  # held by the one process writing this directory


@dataclass(frozen=True)
class RunRecord:
    """One tidy row: one model instance simulated on one config with one memory mode."""

    key: str
    study: str
    run: str
    model: str
    batch: int
    interval: int
    epoch_start: int
    epoch_end: int
    epochs: int
    train_flops_ratio: float
    config: str
    memory: str
    total_pes: int
    clock_ghz: float
    cycles: int
    stall_cycles: int
    macs: int
    pe_utilization: float
    simd_cycles: int | None
    waves_FW: int
    waves_HSW: int
    waves_VSW: int
    waves_ISW: int
    waves_core: int
    cycles_FW: int
    cycles_HSW: int
    cycles_VSW: int
    cycles_ISW: int
    cycles_core: int
    gbuf_to_lbuf_stationary: int
    gbuf_to_lbuf_streamed: int
    lbuf_to_gbuf: int
    overcore: int
    dram_to_gbuf: int | None
    gbuf_to_dram: int | None
    energy_comp: float | None
    energy_lbuf: float | None
    energy_gbuf: float | None
    energy_dram: float | None
    energy_overcore: float | None
    energy_forwarding: float | None
    energy_total: float | None
    seconds: float

    @property
    def gbuf_to_lbuf(self) -> int:
        return self.gbuf_to_lbuf_stationary + self.gbuf_to_lbuf_streamed

    def get(self, name: str) -> Any:
        return getattr(self, name)


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(RunRecord))
# runs.csv names carry the unit (RunRecord/journal names stay as they are); `seconds` there
# is the host time of the simulation, so it is `host_seconds` (`seconds` = simulated time).
_UNIT_SUFFIX = {**{name: "bytes" for name in ("gbuf_to_lbuf_stationary", "gbuf_to_lbuf_streamed",
                                              "lbuf_to_gbuf", "overcore", "dram_to_gbuf",
                                              "gbuf_to_dram")},
                **{f"energy_{k}": "pj" for k in ENERGY_KEYS}}
CSV_COLUMNS: dict[str, str] = {
    name: ("host_seconds" if name == "seconds" else
           f"{name}_{_UNIT_SUFFIX[name]}" if name in _UNIT_SUFFIX else name)
    for name in COLUMNS}
CSV_UNITS: dict[str, str] = {
    "batch": "samples", "epoch_start": "epoch", "epoch_end": "epoch", "epochs": "epochs",
    "train_flops_ratio": "ratio of dense training FLOPs", "total_pes": "PEs",
    "clock_ghz": "GHz", "cycles": "cycles", "stall_cycles": "cycles", "macs": "MACs",
    "pe_utilization": "ratio (useful MACs / PE-cycles)", "simd_cycles": "cycles",
    **{f"waves_{m}": "waves" for m in MODE_KEYS}, **{f"cycles_{m}": "cycles" for m in MODE_KEYS},
    **{CSV_COLUMNS[k]: "bytes per iteration" for k in _UNIT_SUFFIX if _UNIT_SUFFIX[k] == "bytes"},
    **{CSV_COLUMNS[f"energy_{k}"]: "pJ per iteration" for k in ENERGY_KEYS},
    "host_seconds": "s of host time to simulate the row (not simulated time)"}
CSV_META = "runs.csv.meta.json"


def csv_row(record: RunRecord) -> dict[str, Any]:
    return {CSV_COLUMNS[k]: v for k, v in asdict(record).items()}
_INT_FIELDS = {f.name for f in fields(RunRecord) if "int" in str(f.type)}
_FLOAT_FIELDS = {f.name for f in fields(RunRecord) if "float" in str(f.type)}


def make_record(target: Target, variant: Variant, interval: Interval, metrics: Metrics,
                seconds: float) -> RunRecord:
    energy = metrics.energy_pj or {}
    per_mode: dict[str, Any] = {
        **{f"waves_{m}": int(metrics.waves_by_mode.get(m, 0)) for m in MODE_KEYS},
        **{f"cycles_{m}": int(metrics.cycles_by_mode.get(m, 0)) for m in MODE_KEYS},
        **{f"energy_{k}": (float(energy[k]) if k in energy else None) for k in ENERGY_KEYS}}
    return RunRecord(
        key=record_key(target, variant.run, interval.index), study=target.study,
        run=variant.run, model=variant.model, batch=variant.batch, interval=interval.index,
        epoch_start=interval.epoch_start, epoch_end=interval.epoch_end,
        epochs=interval.epochs, train_flops_ratio=interval.train_flops_ratio,
        config=target.config, memory=target.memory, total_pes=metrics.total_pes,
        clock_ghz=metrics.clock_ghz, cycles=metrics.cycles, stall_cycles=metrics.stall_cycles,
        macs=metrics.macs, pe_utilization=metrics.pe_utilization,
        simd_cycles=metrics.simd_cycles,
        gbuf_to_lbuf_stationary=metrics.gbuf_to_lbuf_stationary,
        gbuf_to_lbuf_streamed=metrics.gbuf_to_lbuf_streamed,
        lbuf_to_gbuf=metrics.lbuf_to_gbuf, overcore=metrics.overcore,
        dram_to_gbuf=metrics.dram_to_gbuf, gbuf_to_dram=metrics.gbuf_to_dram,
        seconds=round(seconds, 6), **per_mode,
    )


def record_from_dict(data: dict[str, Any]) -> RunRecord:
    """Rebuild a record from a journal line (unknown keys ignored, types restored)."""
    values: dict[str, Any] = {}
    for name in COLUMNS:
        value = data.get(name)
        if value is None or value == "":
            values[name] = None
        elif name in _INT_FIELDS:
            values[name] = int(value)
        elif name in _FLOAT_FIELDS:
            values[name] = float(value)
        else:
            values[name] = value
    return RunRecord(**values)


class Journal:
    """Append-only record store in an output directory (see the module docstring)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._jsonl: TextIO | None = None
        self._csv: TextIO | None = None
        self._writer: Any = None
        self._lock: ExclusiveLock | None = None

    # ----------------------------------------------------------------- lifecycle
    def open(self, fingerprint: dict[str, Any], force: bool) -> dict[str, RunRecord]:
        """Prepare the directory; return the records already finished (none if forced)."""
        self._lock = ExclusiveLock(self.out_dir / LOCK, f"--out {self.out_dir}", ConfigError)
        if force:
            for name in (JOURNAL, CSV_NAME, MANIFEST):
                (self.out_dir / name).unlink(missing_ok=True)
        done = self._check_manifest(fingerprint)
        self._write_manifest(fingerprint)
        self._rewrite(done.values())
        self._jsonl = open(self.out_dir / JOURNAL, "a", encoding="utf-8")  # noqa: SIM115
        self._csv = open(self.out_dir / CSV_NAME, "a", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.DictWriter(self._csv, fieldnames=list(CSV_COLUMNS.values()),
                                      lineterminator="\n")
        return done

    def close(self) -> None:
        for handle in (self._jsonl, self._csv):
            if handle is not None:
                handle.close()
        self._jsonl = self._csv = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- writing
    def append(self, record: RunRecord) -> None:
        assert self._jsonl is not None and self._csv is not None, "journal not open"
        self._jsonl.write(json.dumps(asdict(record)) + "\n")
        self._writer.writerow(csv_row(record))
        for handle in (self._jsonl, self._csv):
            handle.flush()
            os.fsync(handle.fileno())

    # ----------------------------------------------------------------- reading
    def _check_manifest(self, fingerprint: dict[str, Any]) -> dict[str, RunRecord]:
        path = self.out_dir / MANIFEST
        records = read_journal(self.out_dir / JOURNAL)
        if not path.exists():
            return records if not records else self._mismatch()
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return self._mismatch()
        if stored.get("fingerprint") != _jsonable(fingerprint) or \
                stored.get("version") != __version__:
            return self._mismatch()
        return records

    def _mismatch(self) -> dict[str, RunRecord]:
        raise ConfigError(f"{self.out_dir} holds results of other settings or another "
                          "flexsa version; rerun with --force to start over or pick another --out")

    def _write_manifest(self, fingerprint: dict[str, Any]) -> None:
        payload = {"tool": "flexsa", "version": __version__, "fingerprint": fingerprint}
        write_atomic(self.out_dir / MANIFEST, json.dumps(payload, indent=2) + "\n")
        sidecar = {**payload, "file": CSV_NAME, "units": {c: CSV_UNITS.get(c, "")
                                                          for c in CSV_COLUMNS.values()}}
        write_atomic(self.out_dir / CSV_META, json.dumps(sidecar, indent=2) + "\n")

    def _rewrite(self, records: Iterable[RunRecord]) -> None:
        """Rewrite journal and CSV from the good records (drops a torn last line)."""
        items = list(records)
        write_atomic(self.out_dir / JOURNAL,
                     "".join(json.dumps(asdict(r)) + "\n" for r in items))
        write_atomic(self.out_dir / CSV_NAME, _csv_text([csv_row(r) for r in items]))


def write_selected_csv(out_dir: Path, records: Iterable[RunRecord]) -> None:
    """``runs.csv`` with exactly ``records`` (the runs a summary is built from)."""
    write_atomic(out_dir / CSV_NAME, _csv_text([csv_row(r) for r in records]))


def _csv_text(rows: list[dict[str, Any]]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS.values()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value))


def iter_journal(path: Path) -> Iterator[RunRecord]:
    """Every complete record of a journal; a torn or foreign line is skipped."""
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                yield record_from_dict(json.loads(line))
            except (ValueError, TypeError, KeyError):
                continue


def read_journal(path: Path) -> dict[str, RunRecord]:
    return {record.key: record for record in iter_journal(path)}


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see either the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
