"""``report.html`` of ``flexsa reproduce flexagon`` (shared page builder)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flexsa.report.html.page import Figure, Page, Section, Table, claims_table, write_page

DESIGNS = ("sigma_like", "sparch_like", "gamma_like", "flexagon")
BASELINES = DESIGNS[:3]
INTRO = ("Produced by flexsa reproduce flexagon: cycles of SIGMA-, SpArch- and GAMMA-like "
         "designs and of Flexagon (best of six dataflows per layer) on seeded synthetic "
         "operands with the published layer shapes and nonzero counts. Tables give three "
         "significant digits; summary.json and layers.csv hold every value.")


def _figure(out: Path, name: str, title: str, caption: str, alt: str) -> Figure | None:
    svg, png = out / f"{name}.svg", out / f"{name}.png"
    if not svg.exists() and not png.exists():
        return None
    return Figure(name, title, caption, png if png.exists() else None,
                  svg if svg.exists() else None, alt)


def _speedup_table(summary: Mapping[str, Any]) -> Table:
    rows = []
    for model, entry in summary["models"].items():
        cycles, speedup = entry["cycles"], entry["speedup"]
        rows.append([model, entry.get("layers"), *(cycles.get(d) for d in DESIGNS),
                     *(speedup.get(f"vs_{b}") for b in BASELINES)])
    geo = summary.get("geomean_speedup") or {}
    rows.append(["geomean", None, None, None, None, None,
                 *(geo.get(f"vs_{b}") for b in BASELINES)])
    return Table("speedup", "Cycles per model and Flexagon's speedup",
                 ["model", "layers", *(f"{d} (cycles)" for d in DESIGNS),
                  *(f"speedup vs {b}" for b in BASELINES)], rows)


def _phase_table(summary: Mapping[str, Any]) -> Table:
    rows = []
    for model, entry in summary["models"].items():
        for design in DESIGNS:
            phase = (entry.get("phase_cycles") or {}).get(design) or {}
            mult, merge = phase.get("multiply", 0), phase.get("merge", 0)
            total = mult + merge
            rows.append([f"{model} / {design}", mult, merge,
                         100 * merge / total if total else None])
    return Table("phases", "Multiply and merge phases",
                 ["model / design", "multiply (cycles)", "merge (cycles)", "merge (%)"], rows)


def _dataflow_table(summary: Mapping[str, Any]) -> Table:
    flows = sorted({f for m in summary["models"].values() for f in m["best_dataflow_per_layer"]})
    rows = [[model, *(entry["best_dataflow_per_layer"].count(f) for f in flows)]
            for model, entry in summary["models"].items()]
    return Table("best-dataflow", "Best dataflow per layer (layer counts)",
                 ["model", *flows], rows)


def _area_tables(summary: Mapping[str, Any]) -> list[Table]:
    tables = []
    ppa = summary.get("perf_per_area") or {}
    if ppa:
        tables.append(Table("perf-per-area", "Performance per area",
                            ["design", "area (mm²)", "relative performance",
                             "perf/area vs Flexagon"],
                            [[d, ppa[d].get("area_mm2"), ppa[d].get("relative_performance"),
                              ppa[d].get("perf_per_area_vs_flexagon")]
                             for d in DESIGNS if d in ppa]))
    power = summary.get("area_power") or {}
    if power:
        parts = list(dict.fromkeys(p for d in power.values() for p in d))
        tables.append(Table("area-power", "Area (mm²) and power (mW) by component",
                            ["design", *(f"{p} (mm²)" for p in parts),
                             *(f"{p} (mW)" for p in parts if p == "total")],
                            [[d, *(power[d].get(p, {}).get("area_mm2") for p in parts),
                              power[d].get("total", {}).get("power_mw")] for d in power]))
    return tables


def _predictor_table(summary: Mapping[str, Any]) -> Table | None:
    pred = summary.get("predictor") or {}
    if not pred:
        return None
    names = {"matches_oracle": "layers where it picks the best dataflow", "layers": "layers",
             "match_rate": "match rate", "geomean_slowdown_vs_oracle": "geomean slowdown",
             "worst_slowdown_vs_oracle": "worst slowdown"}
    return Table("predictor", "Dataflow predictor against the oracle", ["quantity", "value"],
                 [[label, pred.get(key)] for key, label in names.items() if key in pred])


def build_page(summary: Mapping[str, Any], out: Path) -> Page:
    figures = {
        "speedup": _figure(out, "speedup", "Flexagon speedup",
                           "Flexagon's speedup over each baseline design per model (log scale).",
                           "Grouped bars of Flexagon's speedup over the SIGMA-, SpArch- and "
                           "GAMMA-like designs per model; values in the table below."),
        "phases": _figure(out, "phases", "Multiply and merge phases",
                          "Share of each design's cycles in the multiply (solid) and merge "
                          "(hatched) phases.",
                          "Stacked bars of multiply and merge shares per design and model."),
        "best_dataflow": _figure(out, "best_dataflow", "Best dataflow per layer",
                                 "Share of each model's layers on which each dataflow is "
                                 "fastest.",
                                 "Stacked bars of the share of layers per best dataflow."),
        "perf_per_area": _figure(out, "perf_per_area", "Performance per area",
                                 "Performance per mm² of each design, Flexagon = 1.",
                                 "Bars of performance per area relative to Flexagon."),
    }

    def items(*entries: Any) -> list[Any]:
        return [e for e in entries if e is not None]

    claims = claims_table(summary.get("claims"))
    sections = [Section("Claims ledger", [claims])] if claims else []
    sections += [
        Section("Speedup", items(figures["speedup"], _speedup_table(summary))),
        Section("Phases and dataflows", items(figures["phases"], _phase_table(summary),
                                              figures["best_dataflow"],
                                              _dataflow_table(summary),
                                              _predictor_table(summary))),
        Section("Area and power", items(figures["perf_per_area"], *_area_tables(summary))),
    ]
    config = {k: summary.get(k) for k in ("tool", "version", "config", "run")}
    return Page("Flexagon evaluation", INTRO, sections, (), summary.get("provenance") or {},
                config)


def write_report(summary: Mapping[str, Any], out: Path) -> Path:
    return write_page(build_page(summary, out), out / "report.html")
