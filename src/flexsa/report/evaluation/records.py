"""The evaluation's result rows: one :class:`RunRecord` per (model instance, config, memory),
and ``runs.csv`` (with ``runs.csv.meta.json``: the unit of every column, the tool version and
settings), written from the records a summary is built from.

Column names of ``runs.csv`` carry their unit (``*_bytes``, ``*_pj``, ``host_seconds``).
The records themselves are stored by the runner (``DIR/runs.sqlite``, :mod:`flexsa.runner`).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from flexsa.compiler.modes import MODE_KEYS
from flexsa.energy.model import COMPONENTS
from flexsa.report.evaluation.matrix import Interval, Target, Variant, record_key

CSV_NAME = "runs.csv"
ENERGY_KEYS: tuple[str, ...] = (*COMPONENTS, "total")


@dataclass(frozen=True)
class Metrics:
    """What one simulation of one model instance on one config and memory mode gives."""

    cycles: int
    macs: int
    pe_utilization: float
    total_pes: int
    clock_ghz: float = 0.7
    stall_cycles: int = 0
    simd_cycles: int | None = None
    waves_by_mode: Mapping[str, int] = field(default_factory=dict)
    cycles_by_mode: Mapping[str, int] = field(default_factory=dict)
    gbuf_to_lbuf_stationary: int = 0
    gbuf_to_lbuf_streamed: int = 0
    lbuf_to_gbuf: int = 0
    overcore: int = 0
    dram_to_gbuf: int | None = None
    gbuf_to_dram: int | None = None
    energy_pj: Mapping[str, float] | None = None


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
# runs.csv names carry the unit (RunRecord/stored names stay as they are); `seconds` there
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
    """Rebuild a record from its stored JSON (unknown keys ignored, types restored)."""
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


def write_runs_csv(out_dir: Path, records: Iterable[RunRecord], meta: dict[str, Any]) -> None:
    """``runs.csv`` with exactly ``records`` (the runs a summary is built from) and its
    sidecar ``runs.csv.meta.json`` (``meta``: tool, version, settings; plus every unit)."""
    write_atomic(out_dir / CSV_NAME, _csv_text([csv_row(r) for r in records]))
    sidecar = {**meta, "file": CSV_NAME, "units": {c: CSV_UNITS.get(c, "")
                                                   for c in CSV_COLUMNS.values()}}
    write_atomic(out_dir / CSV_META, json.dumps(sidecar, indent=2) + "\n")


def _csv_text(rows: list[dict[str, Any]]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS.values()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see either the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
