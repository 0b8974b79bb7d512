"""The FlexSA evaluation's ``report.html``, built with the shared page builder.

Figures with their numbers beside them: every ratio table also gives the absolute value it
is a ratio of (time, bytes, energy per iteration; mm²), taken from the run records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from flexsa.report.evaluation.aggregate import aggregate
from flexsa.report.evaluation.matrix import MODE_NAMES
from flexsa.report.evaluation.records import RunRecord
from flexsa.report.html.page import Figure, Page, Section, Table, claims_table, render_page

INTRO = ("Produced by flexsa reproduce flexsa. Every number is an average over the whole "
         "training run, each pruning interval weighted by its epochs; ratios are taken of "
         "whole-run totals. Tables give three significant digits; summary.json and runs.csv "
         "hold every value at full precision.")


def _absolute(records: Sequence[RunRecord]
              ) -> dict[tuple[str, str, str], dict[str, float | None]]:
    """(run, config, memory) -> time (ms), GBUF->LBUF bytes (GB), energy (mJ) per iteration."""
    out: dict[tuple[str, str, str], dict[str, float | None]] = {}
    for (study, run, config, memory), totals in aggregate(records).items():
        if study != "main" or not totals.epochs:
            continue
        energy = totals.per_iteration("energy_total")
        out[(run, config, memory)] = {
            "ms": 1e3 * totals.seconds / totals.epochs,
            "gb": totals.gbuf_to_lbuf / totals.epochs / 1e9,
            "mj": None if energy is None else energy / 1e9}
    return out


def _cell(runs: Mapping[str, Any], run: str, key: str, config: str) -> Any:
    return (runs[run].get(key) or {}).get(config)


def _run_configs(runs: Mapping[str, Any], configs: Sequence[str],
                 absolute: Mapping[tuple[str, str, str], Mapping[str, Any]]
                 ) -> Iterator[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]:
    """(run, config, ideal absolutes, HBM2 absolutes) for every run and config."""
    for run in runs:
        for config in configs:
            yield (run, config, absolute.get((run, config, "ideal"), {}),
                   absolute.get((run, config, "hbm2"), {}))


def _performance_table(runs: Mapping[str, Any], configs: Sequence[str],
                       absolute: Mapping[tuple[str, str, str], Mapping[str, Any]]) -> Table:
    rows = [[f"{run} / {config}",
             _cell(runs, run, "ideal_pe_utilization", config),
             _cell(runs, run, "hbm2_pe_utilization", config),
             ideal.get("ms"), hbm2.get("ms"),
             _cell(runs, run, "hbm2_speedup_vs_1G1C", config),
             _cell(runs, run, "end_to_end_speedup_vs_1G1C", config)]
            for run, config, ideal, hbm2 in _run_configs(runs, configs, absolute)]
    return Table("performance", "Utilization, time and speedup",
                 ["run / config", "PE util. (ideal)", "PE util. (HBM2)",
                  "GEMM time / iter., ideal (ms)", "GEMM time / iter., HBM2 (ms)",
                  "speedup vs 1G1C (HBM2)", "end-to-end speedup (with SIMD)"], rows,
                 "Times are simulated GEMM time per training iteration averaged over the run; "
                 "'average' rows are means of the runs' ratios and have no absolute time.")


def _traffic_energy_table(runs: Mapping[str, Any], configs: Sequence[str],
                          absolute: Mapping[tuple[str, str, str], Mapping[str, Any]]) -> Table:
    rows = [[f"{run} / {config}", ideal.get("gb"),
             _cell(runs, run, "gbuf_to_lbuf_traffic_vs_1G1C", config),
             hbm2.get("mj"), (_cell(runs, run, "energy_vs_1G1C", config) or {}).get("total")]
            for run, config, ideal, hbm2 in _run_configs(runs, configs, absolute)]
    return Table("traffic-energy", "On-chip traffic and energy",
                 ["run / config", "GBUF→LBUF / iter. (GB)", "traffic vs 1G1C",
                  "energy / iter., HBM2 (mJ)", "energy vs 1G1C"], rows)


def _modes_table(runs: Mapping[str, Any]) -> Table:
    rows = []
    for run, data in runs.items():
        for config, shares in (data.get("mode_share_waves") or {}).items():
            if shares:
                rows.append([f"{run} / {config}",
                             *(100 * float(shares.get(m) or 0.0) for m in MODE_NAMES)])
    return Table("modes", "Share of waves per FlexSA mode (%)",
                 ["run / config", *(f"{m} (%)" for m in MODE_NAMES)], rows)


def _study_tables(summary: Mapping[str, Any]) -> list[Table]:
    tables = []
    split = summary.get("core_splitting") or {}
    if split:
        tables.append(Table("splitting", "Core-splitting study (mean over pruned ResNet50)",
                            ["cores x size", "PE utilization", "GBUF→LBUF traffic vs 1x128"],
                            [[k, v.get("pe_utilization"), v.get("traffic_vs_1x128")]
                             for k, v in split.items()]))
    areas = summary.get("area_mm2") or {}
    ratios = summary.get("area_vs_1x128") or {}
    if areas:
        parts = list(dict.fromkeys(p for v in areas.values() for p in v if p != "total"))
        tables.append(Table(
            "area", "Area (mm²) and ratio to one 128x128 core",
            ["design", "total (mm²)", "vs 1x128", *(f"{p} (mm²)" for p in parts)],
            [[k, v.get("total"), 1.0 if k == "1x128" else ratios.get(k),
              *(v.get(p) for p in parts)] for k, v in areas.items()]))
    base = summary.get("resnet50_1G1C_ideal_utilization") or {}
    if base:
        tables.append(Table("resnet50-1g1c", "ResNet50 on 1G1C, ideal memory",
                            ["pruning", "PE utilization"], [[k, v] for k, v in base.items()]))
    return tables


def _search_table(summary: Mapping[str, Any]) -> Table | None:
    study = summary.get("beyond_paper") or {}
    keys = ("heuristic_pe_utilization", "search_pe_utilization", "independent_core_bound",
            "search_speedup_vs_heuristic", "search_traffic_vs_heuristic")
    rows = [[f"{run} / {config}", *(data.get(k) for k in keys)]
            for run, per in study.items() if isinstance(per, Mapping)
            for config, data in per.items() if isinstance(data, Mapping)]
    if not rows:
        return None
    return Table("search", "Beyond the paper: search tiler (last pruning interval)",
                 ["run / config", "heuristic PE util.", "search PE util.",
                  "independent-core bound", "search speedup", "search traffic ratio"], rows)


def build_page(summary: Mapping[str, Any], figures: Sequence[Figure],
               configs: Sequence[str], records: Sequence[RunRecord] = ()) -> Page:
    by_name = {f.name: f for f in figures}
    runs = summary.get("runs") or {}
    absolute = _absolute(records)

    def figs(*names: str) -> list[Figure]:
        return [by_name[n] for n in names if n in by_name]

    claims = claims_table(summary.get("claims"))
    sections = [Section("Claims ledger", [claims])] if claims else []
    if runs:
        sections += [
            Section("Utilization and speedup", [*figs("utilization", "speedup", "intervals"),
                                                _performance_table(runs, configs, absolute)]),
            Section("Traffic and energy", [*figs("traffic", "energy"),
                                           _traffic_energy_table(runs, configs, absolute)]),
            Section("FlexSA modes", [*figs("modes"), _modes_table(runs)]),
        ]
    else:
        sections.append(Section("Main study", ["No main-study runs selected."]))
    studies: list[Figure | Table | str] = [*figs("splitting", "area"), *_study_tables(summary)]
    if studies:
        sections.append(Section("Core splitting and area", studies))
    search = _search_table(summary)
    if "search" in by_name or search is not None:
        sections.append(Section("Beyond the paper", [*figs("search"),
                                                     *([search] if search else [])]))
    config = {k: summary.get(k) for k in ("tool", "version", "config")}
    return Page("FlexSA evaluation", INTRO, sections, tuple(summary.get("notes", ())),
                summary.get("provenance") or {}, config)


def render_report(summary: Mapping[str, Any], figures: Sequence[Figure],
                  configs: Sequence[str], records: Sequence[RunRecord] = ()) -> str:
    """The report as one HTML string that needs no other file."""
    return render_page(build_page(summary, figures, configs, records))
