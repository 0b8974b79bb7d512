"""Averages over the training run and the ``summary.json`` document.

Averaging rule. A training run is a sequence of pruning intervals; every iteration of an
interval runs the same model instance, and every epoch has the same number of iterations.
So a quantity *per iteration averaged over the run* is the epoch-weighted mean
``sum_i(epochs_i * x_i) / sum_i(epochs_i)``. Ratios are formed from these weighted totals,
never by averaging ratios over intervals: the run's PE utilization is
``sum_i(e_i * macs_i) / (PEs * sum_i(e_i * cycles_i))`` (useful MACs over PE-cycles of the
whole run) and a speedup is the ratio of the two configs' whole-run times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flexsa.report.evaluation.matrix import (
    BASELINE,
    FLEXSA_CONFIGS,
    MODE_NAMES,
    SPLIT_CONFIGS,
    SPLIT_RUNS,
    Variant,
)
from flexsa.report.evaluation.records import ENERGY_KEYS, RunRecord

ENERGY_PARTS: tuple[str, ...] = ("comp", "lbuf", "gbuf", "dram", "overcore")
SUMMED: tuple[str, ...] = (
    "cycles", "stall_cycles", "macs", "simd_cycles", "gbuf_to_lbuf_stationary",
    "gbuf_to_lbuf_streamed", "lbuf_to_gbuf", "overcore", "dram_to_gbuf", "gbuf_to_dram",
    *(f"energy_{k}" for k in ENERGY_KEYS), *(f"waves_{m}" for m in MODE_NAMES),
    *(f"cycles_{m}" for m in MODE_NAMES), "waves_core", "cycles_core")

GroupKey = tuple[str, str, str, str]  # study, run, config, memory


@dataclass(frozen=True)
class RunTotals:
    """Epoch-weighted totals of one (study, run, config, memory) over its intervals."""

    epochs: int
    intervals: int
    total_pes: int
    clock_ghz: float
    sums: Mapping[str, float | None]  # sum_i epochs_i * x_i (None if any interval lacks x)

    def per_iteration(self, name: str) -> float | None:
        value = self.sums.get(name)
        return None if value is None else value / self.epochs

    @property
    def pe_utilization(self) -> float:
        cycles = self.sums["cycles"] or 0.0
        return float(self.sums["macs"] or 0.0) / (self.total_pes * cycles) if cycles else 0.0

    @property
    def seconds(self) -> float:
        """Weighted GEMM time (epoch-weighted seconds per iteration, times epochs)."""
        return float(self.sums["cycles"] or 0.0) / (self.clock_ghz * 1e9)

    @property
    def end_to_end_seconds(self) -> float | None:
        simd = self.sums.get("simd_cycles")
        if simd is None:
            return None
        return (float(self.sums["cycles"] or 0.0) + simd) / (self.clock_ghz * 1e9)

    @property
    def gbuf_to_lbuf(self) -> float:
        return float(self.sums["gbuf_to_lbuf_stationary"] or 0.0) + \
            float(self.sums["gbuf_to_lbuf_streamed"] or 0.0)

    def mode_shares(self, prefix: str) -> dict[str, float]:
        counts = {m: float(self.sums.get(f"{prefix}_{m}") or 0.0) for m in MODE_NAMES}
        total = sum(counts.values())
        return {m: (c / total if total else 0.0) for m, c in counts.items()}


def weighted_totals(records: Sequence[RunRecord]) -> RunTotals:
    """Epoch-weighted totals of the intervals of one run (see the module docstring)."""
    first = records[0]
    sums: dict[str, float | None] = {}
    for name in SUMMED:
        values = [r.get(name) for r in records]
        sums[name] = (None if any(v is None for v in values)
                      else float(sum(r.epochs * v for r, v in zip(records, values, strict=True))))
    return RunTotals(epochs=sum(r.epochs for r in records), intervals=len(records),
                     total_pes=first.total_pes, clock_ghz=first.clock_ghz, sums=sums)


def aggregate(records: Iterable[RunRecord]) -> dict[GroupKey, RunTotals]:
    groups: dict[GroupKey, list[RunRecord]] = defaultdict(list)
    for record in records:
        groups[(record.study, record.run, record.config, record.memory)].append(record)
    return {key: weighted_totals(sorted(group, key=lambda r: r.interval))
            for key, group in groups.items()}


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


class RunView:
    """The aggregated results of one run (a variant) in the main study."""

    def __init__(self, totals: Mapping[GroupKey, RunTotals], run: str,
                 configs: Sequence[str]) -> None:
        self.totals, self.run, self.configs = totals, run, configs

    def get(self, config: str, memory: str) -> RunTotals | None:
        return self.totals.get(("main", self.run, config, memory))

    def either(self, config: str, first: str, second: str) -> RunTotals | None:
        return self.get(config, first) or self.get(config, second)

    def utilization(self, memory: str, study: str = "main") -> dict[str, float | None]:
        return {c: (t.pe_utilization
                    if (t := self.totals.get((study, self.run, c, memory))) else None)
                for c in self.configs}

    def speedup(self, memory: str, end_to_end: bool = False) -> dict[str, float | None]:
        base = self.get(BASELINE, memory)
        out: dict[str, float | None] = {}
        for c in self.configs:
            mine = self.get(c, memory)
            if end_to_end:
                out[c] = _ratio(base.end_to_end_seconds if base else None,
                                mine.end_to_end_seconds if mine else None)
            else:
                out[c] = _ratio(base.seconds if base else None, mine.seconds if mine else None)
        return out

    def traffic_vs_baseline(self) -> dict[str, float | None]:
        base = self.either(BASELINE, "ideal", "hbm2")
        return {c: _ratio(t.gbuf_to_lbuf if (t := self.either(c, "ideal", "hbm2")) else None,
                          base.gbuf_to_lbuf if base else None) for c in self.configs}

    def energy_vs_baseline(self) -> dict[str, dict[str, float | None]]:
        """Each component's energy per iteration over 1G1C's total (so parts add up)."""
        base = self.either(BASELINE, "hbm2", "ideal")
        base_total = base.per_iteration("energy_total") if base else None
        out = {}
        for c in self.configs:
            mine = self.either(c, "hbm2", "ideal")
            out[c] = {k: _ratio(mine.per_iteration(f"energy_{k}") if mine else None, base_total)
                      for k in (*ENERGY_PARTS, "forwarding", "total")}
        return out

    def mode_shares(self, prefix: str) -> dict[str, dict[str, float]]:
        return {c: t.mode_shares(prefix) for c in FLEXSA_CONFIGS
                if c in self.configs and (t := self.either(c, "ideal", "hbm2"))}

    def summary(self) -> dict[str, Any]:
        extra = {}
        if any(k[0] == "nodw" and k[1] == self.run for k in self.totals):
            extra["ideal_pe_utilization_excluding_depthwise"] = self.utilization("ideal", "nodw")
        return {
            "ideal_pe_utilization": self.utilization("ideal"),
            "hbm2_pe_utilization": self.utilization("hbm2"),
            "hbm2_speedup_vs_1G1C": self.speedup("hbm2"),
            "ideal_speedup_vs_1G1C": self.speedup("ideal"),
            "gbuf_to_lbuf_traffic_vs_1G1C": self.traffic_vs_baseline(),
            "energy_vs_1G1C": self.energy_vs_baseline(),
            "mode_share_waves": self.mode_shares("waves"),
            "mode_share_cycles": self.mode_shares("cycles"),
            "end_to_end_speedup_vs_1G1C": self.speedup("hbm2", end_to_end=True),
            "hbm2_stall_fraction": {c: _ratio(t.sums["stall_cycles"], t.sums["cycles"])
                                    if (t := self.get(c, "hbm2")) else None
                                    for c in self.configs},
            "intervals": max((t.intervals for k, t in self.totals.items()
                              if k[1] == self.run), default=0),
            **extra,
        }


def mean_tree(trees: Sequence[Any]) -> Any:
    """Mean of numeric leaves over trees of the same shape (None leaves are skipped)."""
    present = [t for t in trees if t is not None]
    if not present:
        return None
    if isinstance(present[0], Mapping):
        keys = list(dict.fromkeys(k for t in present if isinstance(t, Mapping) for k in t))
        return {k: mean_tree([t.get(k) for t in present if isinstance(t, Mapping)])
                for k in keys}
    numbers = [float(t) for t in present if isinstance(t, int | float)]
    return sum(numbers) / len(numbers) if numbers else None


def average_runs(runs: Mapping[str, Mapping[str, Any]],
                 variants: Sequence[Variant]) -> dict[str, Any]:
    """The mean over models of each model's mean over its runs."""
    by_model: dict[str, list[Any]] = defaultdict(list)
    for variant in variants:
        if variant.in_average and variant.run in runs:
            by_model[variant.model].append(runs[variant.run])
    per_model = [mean_tree(trees) for trees in by_model.values()]
    result = mean_tree(per_model) or {}
    result.pop("intervals", None)
    result.pop("per_interval", None)
    result.pop("ideal_pe_utilization_excluding_depthwise", None)  # one model only
    return dict(result)


def splitting_summary(totals: Mapping[GroupKey, RunTotals]) -> dict[str, Any]:
    """PE utilization and GBUF->LBUF traffic of the core-splitting study, per run and mean."""
    by_run: dict[str, dict[str, dict[str, float | None]]] = {}
    for run in SPLIT_RUNS:
        cells = {label: totals.get(("splitting", run, label, "ideal")) for label in SPLIT_CONFIGS}
        base = cells["1x128"]
        if base is None:
            continue
        by_run[run] = {label: {"pe_utilization": t.pe_utilization if t else None,
                               "traffic_vs_1x128": _ratio(t.gbuf_to_lbuf if t else None,
                                                          base.gbuf_to_lbuf)}
                       for label, t in cells.items()}
    mean = mean_tree(list(by_run.values())) or {}
    return {"mean": mean, "by_run": by_run}


def area_summary(areas: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Area of each splitting config and of FlexSA relative to the single 128x128 core."""
    if "1x128" not in areas:
        return {"vs_1x128": {}, "breakdown_mm2": {}}
    base = _area_total(areas["1x128"])
    ratios = {label: _area_total(a) / base for label, a in areas.items() if label != "1x128"}
    return {"vs_1x128": ratios, "breakdown_mm2": {k: dict(v) for k, v in areas.items()}}


def _area_total(area: Mapping[str, float]) -> float:
    if "total" in area:
        return float(area["total"])
    return float(sum(area.values()))


def per_interval(records: Sequence[RunRecord], run: str,
                 configs: Sequence[str]) -> dict[str, Any]:
    """Epochs, training-FLOPs ratio and ideal-memory PE utilization of every interval."""
    rows = sorted((r for r in records if r.study == "main" and r.run == run
                   and r.memory == "ideal"), key=lambda r: r.interval)
    first = [r for r in rows if r.config == configs[0]]
    return {"epoch_start": [r.epoch_start for r in first],
            "epoch_end": [r.epoch_end for r in first],
            "train_flops_ratio": [r.train_flops_ratio for r in first],
            "ideal_pe_utilization": {c: [r.pe_utilization for r in rows if r.config == c]
                                     for c in configs}}


def build_summary(records: Iterable[RunRecord], variants: Sequence[Variant],
                  configs: Sequence[str], areas: Mapping[str, Mapping[str, float]],
                  extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``summary.json`` document (see issue 6 for its shape; more keys are added)."""
    records = list(records)
    totals = aggregate(records)
    runs: dict[str, Any] = {}
    for variant in variants:
        if any(k[1] == variant.run and k[0] == "main" for k in totals):
            runs[variant.run] = RunView(totals, variant.run, configs).summary()
            if variant.strength is not None:
                runs[variant.run]["per_interval"] = per_interval(records, variant.run, configs)
    if runs:
        runs["average"] = average_runs(runs, variants)
    splitting = splitting_summary(totals)
    area = area_summary(areas)
    return {
        "runs": runs,
        "resnet50_1G1C_ideal_utilization": {
            label: (t.pe_utilization if (t := totals.get(("main", run, BASELINE, "ideal")))
                    else None)
            for label, run in (("dense", "resnet50_dense"), ("low", "resnet50_low"),
                               ("high", "resnet50_high"))},
        "core_splitting": splitting["mean"],
        "core_splitting_by_run": splitting["by_run"],
        "area_vs_1x128": area["vs_1x128"],
        "area_mm2": area["breakdown_mm2"],
        **dict(extra or {}),
    }
