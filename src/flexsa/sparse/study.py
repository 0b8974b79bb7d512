"""The Flexagon evaluation: every layer x six dataflows, designs, speedups, figures.

Records are JSON lines (one per distinct layer signature) so a run is resumable; the summary
is derived from them in the layers file's order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flexsa.sparse.config import ALL_DATAFLOWS, Dataflow, HardwareConfig
from flexsa.sparse.designs import (
    BASELINES,
    DESIGN_NAMES,
    area_power,
    chain_with_conversion,
    design_cycles,
    designs,
)
from flexsa.sparse.layers import SparseLayer, run_layer
from flexsa.sparse.results import DataflowResult


def evaluate_signature(layer: SparseLayer, hw: HardwareConfig, seed: int) -> dict[str, Any]:
    """Simulate all six dataflows of one layer and time the predictor on the same operands."""
    from flexsa.sparse.predictor import predict

    problem = layer.problem(seed)
    run = run_layer(layer, hw, seed, ALL_DATAFLOWS, problem=problem)
    start = time.perf_counter()
    prediction = predict(problem.a, problem.b, hw)
    predictor_seconds = time.perf_counter() - start
    return {
        "signature": layer.signature,
        "seconds": run.seconds,
        "predictor_seconds": predictor_seconds,
        "predicted": prediction.best.value,
        "results": {flow.value: {**result.as_dict(), "psram_demand": list(result.psram_demand)}
                    for flow, result in run.results.items()},
    }


def result_from_dict(raw: Mapping[str, Any]) -> DataflowResult:
    """Rebuild a :class:`DataflowResult` from its JSON record."""
    return DataflowResult.from_dict(raw)


def _geomean(values: Sequence[float]) -> float:
    values = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else 0.0


def _add_design_cycles(row: Mapping[str, Any], results: Mapping[Dataflow, Any],
                       table: Mapping[str, Any], totals: dict[str, int],
                       phase: dict[str, dict[str, int]]) -> None:
    """Add one layer's cycles and multiply/merge phases to every design's totals."""
    for name in DESIGN_NAMES:
        totals[name] += row[name]
        used = results[Dataflow(row["best_dataflow"])] if name == "flexagon" else \
            results[table[name].dataflows[0]]
        phase[name]["multiply"] += used.multiply_cycles
        phase[name]["merge"] += used.merge_cycles


def summarise(layers: Sequence[SparseLayer], records: Mapping[str, Mapping[str, Any]],
              hw: HardwareConfig, with_n_variants: bool = False,
              conversion_cycles_per_nnz: float = 0.0) -> dict[str, Any]:
    """Per layer and per model cycles of every design, speedups, best dataflows, predictor."""
    table = designs(hw, with_n_variants)
    models: dict[str, Any] = {}
    layer_rows: list[dict[str, Any]] = []
    per_model_layers: dict[str, list[SparseLayer]] = {}
    for layer in layers:
        per_model_layers.setdefault(layer.model, []).append(layer)
    predictor_hits = 0
    predictor_loss: list[float] = []
    sim_seconds = 0.0
    pred_seconds = 0.0
    for model, model_layers in per_model_layers.items():
        totals = dict.fromkeys(DESIGN_NAMES, 0)
        phase = {name: {"multiply": 0, "merge": 0} for name in DESIGN_NAMES}
        best_flows: list[str] = []
        chain_options: list[dict[Dataflow, int]] = []
        for layer in model_layers:
            record = records[layer.signature]
            results = {Dataflow(k): result_from_dict(v) for k, v in record["results"].items()}
            row = _layer_row(layer, results, table, hw)
            layer_rows.append(row)
            best_flows.append(row["best_dataflow"])
            chain_options.append({flow: design_cycles(results[flow], table["flexagon"].psram_bytes,
                                                      hw) for flow in table["flexagon"].dataflows})
            _add_design_cycles(row, results, table, totals, phase)
            predicted = Dataflow(record["predicted"])
            oracle = Dataflow(row["best_dataflow_m"])
            predictor_hits += predicted is oracle
            predictor_loss.append(row["cycles_m"][predicted.value] / row["cycles_m"][oracle.value])
            sim_seconds += float(record["seconds"])
            pred_seconds += float(record["predictor_seconds"])
        entry: dict[str, Any] = {
            "cycles": totals,
            "speedup": {f"vs_{name}": totals[name] / totals["flexagon"] for name in BASELINES},
            "best_dataflow_per_layer": best_flows,
            "phase_cycles": phase,
            "layers": len(model_layers),
        }
        if conversion_cycles_per_nnz > 0:
            entry["with_conversion"] = _with_conversion(chain_options, model_layers,
                                                        conversion_cycles_per_nnz)
        models[model] = entry
    geomean = {f"vs_{name}": _geomean([m["speedup"][f"vs_{name}"] for m in models.values()])
               for name in BASELINES}
    n_layers = len(layers)
    summary: dict[str, Any] = {
        "models": models,
        "geomean_speedup": geomean,
        "predictor": _predictor_stats(predictor_hits, n_layers, predictor_loss, pred_seconds,
                                      sim_seconds),
        "area_power": {name: area_power(table[name], hw) for name in DESIGN_NAMES},
    }
    summary["perf_per_area"] = _perf_per_area(models, summary["area_power"])
    summary["layer_rows"] = layer_rows
    return summary


def _with_conversion(options: list[dict[Dataflow, int]], model_layers: Sequence[SparseLayer],
                     cycles_per_nnz: float) -> dict[str, Any]:
    cost, path = chain_with_conversion(options, [ly.nnz_b for ly in model_layers],
                                       cycles_per_nnz)
    return {"cycles": cost, "dataflow_per_layer": [f.value for f in path]}


def _predictor_stats(hits: int, n_layers: int, loss: Sequence[float], pred_seconds: float,
                     sim_seconds: float) -> dict[str, Any]:
    """The predictor's agreement with the oracle and the slowdown of its choices."""
    return {"matches_oracle": hits, "layers": n_layers,
            "match_rate": hits / n_layers if n_layers else 0.0,
            "geomean_slowdown_vs_oracle": _geomean(loss),
            "worst_slowdown_vs_oracle": max(loss, default=1.0),
            "geomean_slowdown_when_wrong": _geomean([x for x in loss if x > 1.0]) or 1.0,
            "predictor_seconds_total": pred_seconds, "simulation_seconds_total": sim_seconds}


def _layer_row(layer: SparseLayer, results: Mapping[Dataflow, DataflowResult],
               table: Mapping[str, Any], hw: HardwareConfig) -> dict[str, Any]:
    row: dict[str, Any] = {"model": layer.model, "layer": layer.layer, "M": layer.m,
                           "N": layer.n, "K": layer.k, "A_nnz": layer.nnz_a,
                           "B_nnz": layer.nnz_b}
    for name in BASELINES:
        design = table[name]
        row[name] = design_cycles(results[design.dataflows[0]], design.psram_bytes, hw)
    flex = table["flexagon"]
    options = {flow: design_cycles(results[flow], flex.psram_bytes, hw)
               for flow in flex.dataflows}
    best = min(options, key=lambda f: (options[f], f.value))
    row["flexagon"] = options[best]
    row["best_dataflow"] = best.value
    m_only = {flow.value: design_cycles(results[flow], flex.psram_bytes, hw)
              for flow in (Dataflow.IP_M, Dataflow.OP_M, Dataflow.GUST_M)}
    row["cycles_m"] = m_only
    row["best_dataflow_m"] = min(m_only, key=lambda f: (m_only[f], f))
    for flow, result in results.items():
        row[f"cycles_{flow.value}"] = result.cycles
        row[f"miss_rate_{flow.value}"] = round(result.cache_miss_rate, 4)
    return row


def _perf_per_area(models: Mapping[str, Any], area: Mapping[str, Any]) -> dict[str, Any]:
    """Geomean over models of (1/cycles)/area, relative to Flexagon's."""
    out: dict[str, Any] = {}
    for name in DESIGN_NAMES:
        ratios = [m["cycles"]["flexagon"] / m["cycles"][name] for m in models.values()]
        perf = _geomean(ratios)
        out[name] = {"relative_performance": perf,
                     "area_mm2": area[name]["total"]["area_mm2"],
                     "perf_per_area_vs_flexagon": perf * area["flexagon"]["total"]["area_mm2"]
                     / area[name]["total"]["area_mm2"]}
    flex = out["flexagon"]["perf_per_area_vs_flexagon"]
    out["flexagon_gain_vs"] = {f"vs_{name}": flex / out[name]["perf_per_area_vs_flexagon"]
                               for name in BASELINES}
    return out


def representative(layers: Sequence[SparseLayer], records: Mapping[str, Mapping[str, Any]]
                   ) -> dict[str, Any]:
    """Traffic and miss rates of each model's largest layer (most products), every dataflow."""
    out: dict[str, Any] = {}
    for model in dict.fromkeys(layer.model for layer in layers):
        candidates = [ly for ly in layers if ly.model == model]
        biggest = max(candidates, key=lambda ly: records[ly.signature]["results"]["IP_M"][
            "products"])
        results = records[biggest.signature]["results"]
        out[model] = {"layer": biggest.layer, "signature": biggest.signature,
                      "dataflows": {flow: {"cycles": r["cycles"],
                                           "multiply_cycles": r["multiply_cycles"],
                                           "merge_cycles": r["merge_cycles"],
                                           "cache_miss_rate": r["cache_miss_rate"],
                                           "traffic": r["traffic"],
                                           "psram_spill_bytes": r["psram_spill_bytes"]}
                                    for flow, r in results.items()}}
    return out


def write_figures(summary: Mapping[str, Any], out: Path) -> list[Path]:
    """Speedups, phase split, best-dataflow mix and perf/area as PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    models = list(summary["models"])
    x = np.arange(len(models))
    written: list[Path] = []
    for stem, size, plot in (("speedup", (10, 4), _plot_speedup),
                             ("phases", (10, 4), _plot_phases),
                             ("best_dataflow", (10, 4), _plot_best_dataflow),
                             ("perf_per_area", (6, 4), _plot_perf_per_area)):
        fig, ax = plt.subplots(figsize=size)
        plot(ax, summary, models, x)
        fig.tight_layout()
        for ext in ("png", "svg"):
            path = out / f"{stem}.{ext}"
            fig.savefig(path, dpi=120)
            written.append(path)
        plt.close(fig)
    return written


def _plot_speedup(ax: Any, summary: Mapping[str, Any], models: list[str], x: Any) -> None:
    for i, name in enumerate(BASELINES):
        values = [summary["models"][m]["speedup"][f"vs_{name}"] for m in models]
        ax.bar(x + (i - 1) * 0.27, values, 0.27, label=f"vs {name}")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(x, models, rotation=30, ha="right")
    ax.set_ylabel("Flexagon speedup (x)")
    ax.legend()


def _plot_phases(ax: Any, summary: Mapping[str, Any], models: list[str], x: Any) -> None:
    import numpy as np

    width = 0.2
    for i, name in enumerate(DESIGN_NAMES):
        mult = np.array([summary["models"][m]["phase_cycles"][name]["multiply"] for m in models],
                        dtype=float)
        merge = np.array([summary["models"][m]["phase_cycles"][name]["merge"] for m in models],
                         dtype=float)
        total = np.maximum(mult + merge, 1.0)
        bars = ax.bar(x + (i - 1.5) * width, mult / total, width, label=f"{name} multiply")
        ax.bar(x + (i - 1.5) * width, merge / total, width, bottom=mult / total, hatch="//",
               color=bars.patches[0].get_facecolor(), alpha=0.45, label=f"{name} merge")
    ax.set_xticks(x, models, rotation=30, ha="right")
    ax.set_ylabel("share of the design's cycles")
    ax.set_title("multiply (solid) and merge (hatched) phases")
    ax.legend(fontsize=6, ncol=4, loc="lower left")


def _plot_best_dataflow(ax: Any, summary: Mapping[str, Any], models: list[str],
                        x: Any) -> None:
    import numpy as np

    flows = sorted({f for m in models for f in summary["models"][m]["best_dataflow_per_layer"]})
    bottom = np.zeros(len(models))
    for flow in flows:
        share = np.array([summary["models"][m]["best_dataflow_per_layer"].count(flow) /
                          len(summary["models"][m]["best_dataflow_per_layer"]) for m in models])
        ax.bar(x, share, bottom=bottom, label=flow)
        bottom += share
    ax.set_xticks(x, models, rotation=30, ha="right")
    ax.set_ylabel("share of layers")
    ax.legend()


def _plot_perf_per_area(ax: Any, summary: Mapping[str, Any], models: list[str],
                        x: Any) -> None:
    del models, x
    ppa = summary["perf_per_area"]
    ax.bar(list(DESIGN_NAMES), [ppa[n]["perf_per_area_vs_flexagon"] for n in DESIGN_NAMES])
    ax.set_ylabel("performance per area (Flexagon = 1)")
