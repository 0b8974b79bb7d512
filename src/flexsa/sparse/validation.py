"""Agreement with the reference simulator's per-layer statistics (the artifact's CSV files).

The artifact gives, per layer, the cycles of all six dataflows, the best one, streamed-cache
hits/misses and the multiply/merge split (semicolon-separated, ``bench_MODEL_LAYER`` rows).
:func:`agreement` compares our per-layer cycles with them: per dataflow the geometric mean and
the 10-90% range of ours / reference, how often the best dataflow agrees (all six, and among
the M variants), and the streamed-cache miss rates side by side. Nothing is fitted to them.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flexsa.errors import WorkloadError
from flexsa.sparse.config import ALL_DATAFLOWS, M_DATAFLOWS, Dataflow

REFERENCE_NAMES: dict[Dataflow, str] = {
    Dataflow.IP_M: "inner_product_m", Dataflow.IP_N: "inner_product_n",
    Dataflow.OP_M: "outer_product_m", Dataflow.OP_N: "outer_product_n",
    Dataflow.GUST_M: "gustavsons_m", Dataflow.GUST_N: "gustavsons_n"}


@dataclass(frozen=True)
class ReferenceLayer:
    """One layer of the reference simulator's statistics."""

    model: str
    layer: int
    cycles: dict[Dataflow, int]
    miss_rate: dict[Dataflow, float]
    multiply: dict[Dataflow, int]
    merge: dict[Dataflow, int]

    @property
    def key(self) -> str:
        return f"{self.model}/{self.layer}"

    def best(self, flows: Sequence[Dataflow] = ALL_DATAFLOWS) -> Dataflow:
        return min(flows, key=lambda f: (self.cycles[f], f.value))


def load_reference(path: Path) -> list[ReferenceLayer]:
    """Read one ``reference_MODEL.csv`` of the artifact."""
    if not path.is_file():
        raise WorkloadError(f"reference file {str(path)!r} does not exist")
    rows = list(csv.DictReader(path.read_text().splitlines(), delimiter=";"))
    out = []
    for number, row in enumerate(rows, start=2):
        try:
            name = row["layer_name"]
            model, layer = name.removeprefix("bench_").rsplit("_", 1)
            cycles = {f: int(row[n]) for f, n in REFERENCE_NAMES.items()}
            miss = {f: float(row[f"cache_B_misses {n}"]) / max(1.0, float(
                row[f"cache_B_total_accesses {n}"])) for f, n in REFERENCE_NAMES.items()}
            mult = {f: int(row[f"N_cycles_multiplying {n}"]) for f, n in REFERENCE_NAMES.items()}
            merge = {f: int(row[f"N_cycles_merging {n}"]) for f, n in REFERENCE_NAMES.items()}
        except (KeyError, ValueError, TypeError) as err:
            raise WorkloadError(f"reference file {str(path)!r} row {number}: missing or bad "
                                f"field ({err})") from None
        out.append(ReferenceLayer(model=model, layer=int(layer), cycles=cycles, miss_rate=miss,
                                  multiply=mult, merge=merge))
    return out


def _geomean(values: Sequence[float]) -> float:
    return math.exp(float(np.mean(np.log(values)))) if len(values) else float("nan")


def agreement(reference: Sequence[ReferenceLayer],
              ours: Mapping[str, Mapping[Dataflow, Mapping[str, float]]]) -> dict[str, Any]:
    """Compare ``ours[key][dataflow]`` (``cycles``, ``cache_miss_rate``) with the reference."""
    layers = [ref for ref in reference if ref.key in ours]
    per_flow: dict[str, Any] = {}
    for flow in ALL_DATAFLOWS:
        ratios = np.array([ours[r.key][flow]["cycles"] / r.cycles[flow] for r in layers])
        if ratios.size == 0:
            continue
        per_flow[flow.value] = {
            "geomean_ratio": round(_geomean(list(ratios)), 4),
            "p10_ratio": round(float(np.quantile(ratios, 0.1)), 4),
            "p90_ratio": round(float(np.quantile(ratios, 0.9)), 4),
            "within_25pct": round(float(np.mean(np.abs(np.log(ratios)) <= math.log(1.25))), 4),
            "our_median_miss_rate": round(float(np.median(
                [ours[r.key][flow]["cache_miss_rate"] for r in layers])), 4),
            "reference_median_miss_rate": round(float(np.median(
                [r.miss_rate[flow] for r in layers])), 4)}
    best_all = [_best(ours[r.key], ALL_DATAFLOWS) is r.best() for r in layers]
    best_m = [_best(ours[r.key], M_DATAFLOWS) is r.best(M_DATAFLOWS) for r in layers]
    slow = [ours[r.key][_best(ours[r.key], M_DATAFLOWS)]["cycles"] and
            r.cycles[_best(ours[r.key], M_DATAFLOWS)] / r.cycles[r.best(M_DATAFLOWS)]
            for r in layers]
    return {"layers": len(layers), "per_dataflow": per_flow,
            "best_dataflow_agreement": round(float(np.mean(best_all)), 4) if layers else 0.0,
            "best_m_dataflow_agreement": round(float(np.mean(best_m)), 4) if layers else 0.0,
            "reference_slowdown_of_our_m_choice": round(_geomean(slow), 4) if layers else 1.0,
            "speedups": _speedups(layers, ours)}


def _best(results: Mapping[Dataflow, Mapping[str, float]], flows: Sequence[Dataflow]
          ) -> Dataflow:
    return min(flows, key=lambda f: (results[f]["cycles"], f.value))


def _speedups(layers: Sequence[ReferenceLayer],
              ours: Mapping[str, Mapping[Dataflow, Mapping[str, float]]]) -> dict[str, Any]:
    """Per-model Flexagon (best M variant) speedups over the three baselines, both sides."""
    baselines = {"sigma_like": Dataflow.IP_M, "sparch_like": Dataflow.OP_M,
                 "gamma_like": Dataflow.GUST_M}
    out: dict[str, Any] = {"ours": {}, "reference": {}}
    for side in ("ours", "reference"):
        per_model: dict[str, dict[str, float]] = {}
        for model in dict.fromkeys(r.model for r in layers):
            rows = [r for r in layers if r.model == model]

            def cyc(r: ReferenceLayer, f: Dataflow, side: str = side) -> float:
                return float(ours[r.key][f]["cycles"]) if side == "ours" else float(
                    r.cycles[f])
            flex = sum(min(cyc(r, f) for f in M_DATAFLOWS) for r in rows)
            per_model[model] = {name: round(sum(cyc(r, f) for r in rows) / flex, 3)
                                for name, f in baselines.items()}
        geo = {name: round(_geomean([m[name] for m in per_model.values()]), 3)
               for name in baselines}
        out[side] = {"models": per_model, "geomean": geo}
    return out
