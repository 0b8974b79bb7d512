"""The whole evaluation: run (resumable), aggregate, ``summary.json``, figures, report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from flexsa.errors import ConfigError
from flexsa.report.evaluation.aggregate import build_summary
from flexsa.report.evaluation.backend import Backend
from flexsa.report.evaluation.claims import claims_ledger
from flexsa.report.evaluation.journal import (
    JOURNAL,
    Journal,
    RunRecord,
    read_journal,
    write_atomic,
    write_selected_csv,
)
from flexsa.report.evaluation.matrix import (
    AREA_CONFIGS,
    DEPTHWISE_MODELS,
    SPLIT_CONFIGS,
    EvalSettings,
)
from flexsa.report.evaluation.runner import execute
from flexsa.report.output import dumps, provenance
from flexsa.report.provenance import PROVENANCE_KEY, run_provenance

SUMMARY = "summary.json"
REPORT = "report.html"
EXTRA = "beyond_paper.json"
FIGURES = "figures"


@dataclass(frozen=True)
class Outcome:
    """What a reproduction wrote: counts and paths."""

    out_dir: Path
    new_records: int
    reused_records: int
    summary: dict[str, Any]
    figures: tuple[Path, ...]

    @property
    def summary_path(self) -> Path:
        return self.out_dir / SUMMARY

    @property
    def report_path(self) -> Path:
        return self.out_dir / REPORT


def prepare_out_dir(path: Path) -> Path:
    """Create ``path`` if needed and check that files can be written there."""
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


def selected(record: RunRecord, settings: EvalSettings) -> bool:
    """Is a stored record part of the evaluation these settings describe?"""
    runs = {v.run for v in settings.selected_variants}
    study = "main" if record.study == "nodw" else record.study
    if study not in settings.studies or record.run not in runs:
        return False
    if record.study == "splitting":
        return record.config in SPLIT_CONFIGS
    return record.config in settings.main_configs and record.memory in settings.memories


def _areas(backend: Backend, settings: EvalSettings) -> dict[str, dict[str, float]]:
    if "area" not in settings.studies:
        return {}
    try:
        return {label: backend.area_mm2(arch) for label, arch in AREA_CONFIGS.items()}
    except ImportError:  # the area model (flexsa.energy) is not part of this build
        return {}


def _config(settings: EvalSettings, backend: Backend) -> dict[str, Any]:
    archs = dict.fromkeys([*settings.main_configs, *SPLIT_CONFIGS.values()])
    return {"settings": settings.as_dict(), "backend": backend.describe(),
            "architectures": {name: backend.arch_dict(name) for name in archs}}


def reproduce(settings: EvalSettings, out_dir: Path, backend: Backend | None = None, *,
              force: bool = False, jobs: int = 1, progress: bool = True,
              write_figures: bool = True,
              extra: Callable[[Backend, EvalSettings], dict[str, Any]] | None = None) -> Outcome:
    """Run (or resume) the evaluation into ``out_dir`` and write every output file."""
    if backend is None:
        from flexsa.report.evaluation.backend import ToolkitBackend

        backend = ToolkitBackend()
    started = time.perf_counter()
    out = prepare_out_dir(out_dir)
    if force:  # nothing from an earlier run may survive next to the new journal
        for name in (EXTRA, SUMMARY, REPORT):
            (out / name).unlink(missing_ok=True)
    with Journal(out) as journal:
        done = journal.open(settings.fingerprint(), force)
        for name in (SUMMARY, REPORT):  # stale until this run rewrites them (a kill must
            (out / name).unlink(missing_ok=True)  # not leave another selection's summary)
        cached = _cached_extra(out, settings) if extra is not None else None
        side = (partial(extra, backend, settings)
                if extra is not None and cached is None else None)
        executed = execute(settings, backend, journal, set(done), jobs=jobs,
                           progress=progress, side_task=side)
    written = executed.written
    additions = cached if cached is not None else dict(executed.side or {})
    if extra is not None and cached is None:
        _store_extra(out, settings, additions)
    records = [r for r in read_journal(out / JOURNAL).values() if selected(r, settings)]
    write_selected_csv(out, records)  # runs.csv: exactly the runs summary.json is built from
    summary = build_summary(records, settings.selected_variants, settings.main_configs,
                            _areas(backend, settings), additions)
    summary["notes"] = _notes(summary, backend, settings)
    summary["depthwise"] = settings.depthwise
    summary["claims"] = claims_ledger(summary)
    summary |= provenance(_config(settings, backend))
    summary[PROVENANCE_KEY] = run_provenance(time.perf_counter() - started)  # volatile
    write_atomic(out / SUMMARY, dumps(summary) + "\n")
    figures = _write_figures(summary, records, settings, out, jobs) if write_figures else ()
    return Outcome(out, written, len(records) - written, summary, figures)


DEPTHWISE_NOTES = {
    "simd": "MobileNet v2's depthwise convolutions run on the SIMD unit (--depthwise simd, the "
            "default): they count in end-to-end time (simd_cycles, end_to_end_speedup_vs_1G1C) "
            "and are excluded from PE utilization, speedups over 1G1C of the array and "
            "GBUF->LBUF traffic.",
    "per-channel": "MobileNet v2's depthwise convolutions are lowered per channel "
                   "(--depthwise per-channel: GEMMs with N = 1); they leave almost every PE "
                   "idle and take most of its cycles, so its utilization and speedups are "
                   "dominated by them. The runs also report utilization without them.",
    "packed": "MobileNet v2's depthwise convolutions run on the array as block-diagonally "
              "packed GEMMs (--depthwise packed); utilization counts their useful MACs only. "
              "The runs also report utilization without them.",
}


def _notes(summary: dict[str, Any], backend: Backend, settings: EvalSettings) -> list[str]:
    """Caveats a reader of the numbers needs, in plain words."""
    notes = []
    if any(v.model in DEPTHWISE_MODELS for v in settings.selected_variants):
        notes.append(DEPTHWISE_NOTES.get(settings.depthwise, settings.depthwise))
    described = backend.describe()
    if str(described.get("trajectory_source", "")).startswith("stand-in"):
        notes.append("Pruning trajectories are a stand-in (uniform width scaling): the pruning "
                     "package was not available.")
    if not summary.get("area_vs_1x128"):
        notes.append("The area study did not run (area model not available or not selected).")
    return notes


def _extra_key(settings: EvalSettings) -> dict[str, Any]:
    return {"fingerprint": settings.fingerprint(), "studies": list(settings.studies),
            "models": list(settings.models)}


def _cached_extra(out: Path, settings: EvalSettings) -> dict[str, Any] | None:
    """The studies beyond the paper from an earlier run with the same settings."""
    path = out / EXTRA
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("key") != json.loads(json.dumps(_extra_key(settings))):
        return None
    return dict(stored.get("result") or {})


def _store_extra(out: Path, settings: EvalSettings, result: dict[str, Any]) -> None:
    write_atomic(out / EXTRA, dumps({"key": _extra_key(settings), "result": result}) + "\n")


def _write_figures(summary: dict[str, Any], records: list[RunRecord], settings: EvalSettings,
                   out: Path, jobs: int = 1) -> tuple[Path, ...]:
    from flexsa.report.evaluation.figures import all_figures
    from flexsa.report.evaluation.html import render_report

    figures = all_figures(summary, records, settings.main_configs, out / FIGURES, jobs)
    write_atomic(out / REPORT, render_report(summary, figures, settings.main_configs, records))
    return tuple(p for f in figures for p in (f.png, f.svg) if p is not None)


def load_summary(out_dir: Path) -> dict[str, Any]:
    return dict(json.loads((out_dir / SUMMARY).read_text(encoding="utf-8")))
