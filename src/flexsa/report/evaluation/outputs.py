"""The FlexSA evaluation's outputs, written from its records: ``summary.json``, ``runs.csv``,
figures and ``report.html`` (the runs themselves are made by :mod:`flexsa.studies.flexsa`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexsa import __version__
from flexsa.report.evaluation.aggregate import build_summary
from flexsa.report.evaluation.claims import claims_ledger
from flexsa.report.evaluation.matrix import DEPTHWISE_MODELS, EvalSettings
from flexsa.report.evaluation.records import RunRecord, write_atomic, write_runs_csv
from flexsa.report.output import dumps, provenance
from flexsa.report.provenance import PROVENANCE_KEY, run_provenance

SUMMARY = "summary.json"
REPORT = "report.html"
FIGURES = "figures"


@dataclass(frozen=True)
class EvalInputs:
    """Everything the outputs are built from besides the records."""

    settings: EvalSettings
    described: dict[str, Any]           # the backend's self-description (provenance)
    config: dict[str, Any]              # settings, backend, architectures (summary "config")
    areas: dict[str, dict[str, float]]  # the area study (empty if it did not run)
    additions: dict[str, Any]           # the studies beyond the paper (search)


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


def _notes(summary: dict[str, Any], inputs: EvalInputs) -> list[str]:
    """Caveats a reader of the numbers needs, in plain words."""
    settings = inputs.settings
    notes = []
    if any(v.model in DEPTHWISE_MODELS for v in settings.selected_variants):
        notes.append(DEPTHWISE_NOTES.get(settings.depthwise, settings.depthwise))
    if not summary.get("area_vs_1x128"):
        notes.append("The area study did not run (not selected).")
    return notes


def build(records: list[RunRecord], inputs: EvalInputs, wall_seconds: float) -> dict[str, Any]:
    """The ``summary.json`` document of ``records``."""
    settings = inputs.settings
    summary = build_summary(records, settings.selected_variants, settings.main_configs,
                            inputs.areas, inputs.additions)
    summary["notes"] = _notes(summary, inputs)
    summary["depthwise"] = settings.depthwise
    summary["claims"] = claims_ledger(summary)
    summary |= provenance(inputs.config)
    summary[PROVENANCE_KEY] = run_provenance(wall_seconds)  # volatile
    return summary


def write_outputs(out: Path, records: list[RunRecord], inputs: EvalInputs,
                  wall_seconds: float, figures: bool = True, jobs: int = 1
                  ) -> tuple[dict[str, Any], tuple[Path, ...]]:
    """Write ``runs.csv`` (exactly ``records``), ``summary.json`` and, with ``figures``, the
    figures and ``report.html``; return the summary and the figure files."""
    meta = {"tool": "flexsa", "version": __version__,
            "fingerprint": inputs.settings.fingerprint()}
    write_runs_csv(out, records, meta)
    summary = build(records, inputs, wall_seconds)
    write_atomic(out / SUMMARY, dumps(summary) + "\n")
    paths = _write_figures(summary, records, inputs.settings, out, jobs) if figures else ()
    return summary, paths


def _write_figures(summary: dict[str, Any], records: list[RunRecord], settings: EvalSettings,
                   out: Path, jobs: int = 1) -> tuple[Path, ...]:
    from flexsa.report.evaluation.figures import all_figures
    from flexsa.report.evaluation.html import render_report

    figures = all_figures(summary, records, settings.main_configs, out / FIGURES, jobs)
    write_atomic(out / REPORT, render_report(summary, figures, settings.main_configs, records))
    return tuple(p for f in figures for p in (f.png, f.svg) if p is not None)
