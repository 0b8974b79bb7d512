"""SIGMA-, SpArch-, GAMMA-like baselines and Flexagon on the shared engine; area and power.

All designs share the multiplier count, DN/RN bandwidths, the streamed-operand cache and
DRAM (spec section 4); they differ in the dataflow(s) their controller runs, the reduction
network and the PSRAM size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from flexsa.errors import ConfigError
from flexsa.sparse.config import M_DATAFLOWS, Dataflow, HardwareConfig, Profile
from flexsa.sparse.engine import DataflowResult


class Reduction(StrEnum):
    FAN = "fan"  # adder tree with variable clusters (SIGMA)
    MERGER = "merger"  # comparator/merger tree (SpArch, GAMMA)
    MRN = "mrn"  # merger-reduction network: adder + comparator per node (Flexagon)


@dataclass(frozen=True)
class Design:
    name: str
    dataflows: tuple[Dataflow, ...]
    psram_bytes: int
    reduction: Reduction


def designs(hw: HardwareConfig, with_n_variants: bool = False) -> dict[str, Design]:
    """The four designs of the evaluation, sized like ``hw``."""
    flex = tuple(Dataflow) if with_n_variants else M_DATAFLOWS
    return {
        "sigma_like": Design("sigma_like", (Dataflow.IP_M,), 0, Reduction.FAN),
        "sparch_like": Design("sparch_like", (Dataflow.OP_M,), hw.psram_bytes, Reduction.MERGER),
        "gamma_like": Design("gamma_like", (Dataflow.GUST_M,), hw.psram_bytes // 2,
                             Reduction.MERGER),
        "flexagon": Design("flexagon", flex, hw.psram_bytes, Reduction.MRN),
    }


BASELINES: tuple[str, ...] = ("sigma_like", "sparch_like", "gamma_like")
DESIGN_NAMES: tuple[str, ...] = (*BASELINES, "flexagon")


def spill_bytes(result: DataflowResult, psram_bytes: int) -> int:
    """Partial-sum bytes that overflow a PSRAM of ``psram_bytes`` (written out, read back)."""
    return sum(max(0, demand - psram_bytes) for demand in result.psram_demand)


def design_cycles(result: DataflowResult, psram_bytes: int, hw: HardwareConfig) -> int:
    """Cycles of ``result`` on a design with the given PSRAM (ideal profile charges spills)."""
    if hw.profile is Profile.REFERENCE or not result.psram_demand:
        return result.cycles  # the reference PSRAM is an unbounded queue: spills not timed
    extra = 2 * spill_bytes(result, psram_bytes) - 2 * result.psram_spill_bytes
    return result.cycles + int(round(extra / hw.dram_bytes_per_cycle))


@dataclass(frozen=True)
class LayerChoice:
    """Cycles of every design on one layer and Flexagon's chosen dataflow."""

    cycles: dict[str, int]
    best: Dataflow


def evaluate_layer(results: Mapping[Dataflow, DataflowResult], hw: HardwareConfig,
                   with_n_variants: bool = False) -> LayerChoice:
    """Every design's cycles on one layer; Flexagon = oracle best of its dataflows."""
    table = designs(hw, with_n_variants)
    cycles: dict[str, int] = {}
    for name in BASELINES:
        design = table[name]
        cycles[name] = design_cycles(results[design.dataflows[0]], design.psram_bytes, hw)
    flex = table["flexagon"]
    options = {flow: design_cycles(results[flow], flex.psram_bytes, hw)
               for flow in flex.dataflows if flow in results}
    if not options:
        raise ConfigError("flexagon needs the IP_M, OP_M and Gust_M results")
    best = min(options, key=lambda flow: (options[flow], flow.value))
    cycles["flexagon"] = options[best]
    return LayerChoice(cycles=cycles, best=best)


def chain_with_conversion(per_layer: Sequence[Mapping[Dataflow, int]], b_nnz: Sequence[int],
                          cycles_per_nnz: float) -> tuple[int, list[Dataflow]]:
    """Best dataflow per layer when converting B's format between layers costs cycles.

    Layer i's output (CSR for M variants, CSC for N variants) is layer i+1's B; a dataflow
    that needs the other format pays ``cycles_per_nnz * nnz(B)``. Exact dynamic programme
    over the two formats (Viterbi). The first layer's input is free in either format.
    """
    if not per_layer:
        return 0, []
    formats = ("csr", "csc")
    cost = {fmt: 0.0 for fmt in formats}
    back: list[dict[str, tuple[Dataflow, str]]] = []
    for index, options in enumerate(per_layer):
        new_cost: dict[str, float] = {fmt: float("inf") for fmt in formats}
        choice: dict[str, tuple[Dataflow, str]] = {}
        for flow, cycles in options.items():
            for prev in formats:
                convert = 0.0
                if index > 0 and prev != flow.input_b_format:
                    convert = cycles_per_nnz * b_nnz[index]
                total = cost[prev] + cycles + convert
                out = flow.output_format
                if total < new_cost[out]:
                    new_cost[out] = total
                    choice[out] = (flow, prev)
        cost = new_cost
        back.append(choice)
    state = min(formats, key=lambda fmt: cost[fmt])
    total = cost[state]
    path: list[Dataflow] = []
    for choice in reversed(back):
        flow, state = choice[state]
        path.append(flow)
    return int(round(total)), path[::-1]


# ---------------------------------------------------------------- area and power

@dataclass(frozen=True)
class AreaPowerModel:
    """Per-unit area (mm^2) and power (mW) at 28 nm, 800 MHz.

    The spec gives no area or power figures; these are order-of-magnitude estimates for a
    28 nm standard-cell/SRAM process (documented in docs/flexagon.md), not calibrated. What
    matters for the comparison is that all designs share them.
    """

    multiplier_mm2: float = 0.0030
    multiplier_mw: float = 1.6
    dn_switch_mm2: float = 0.00035  # one 2x2 32-bit switch of the Benes network
    dn_switch_mw: float = 0.12
    adder_node_mm2: float = 0.0022
    adder_node_mw: float = 1.1
    comparator_node_mm2: float = 0.0012  # coordinate comparator + muxes + small FIFOs
    comparator_node_mw: float = 0.6
    sram_mm2_per_mib: float = 1.6
    sram_mw_per_mib: float = 45.0
    controller_mm2: float = 0.02
    controller_mw: float = 8.0
    flexible_controller_mm2: float = 0.035  # three controllers + reconfiguration
    flexible_controller_mw: float = 12.0


def area_power(design: Design, hw: HardwareConfig,
               model: AreaPowerModel | None = None) -> dict[str, dict[str, float]]:
    """Area (mm^2) and power (mW) per component: DN, MN, RN, cache, PSRAM, controller."""
    m = model or AreaPowerModel()
    n = hw.n_mult
    stages = 2 * max(1, (n - 1).bit_length()) - 1
    switches = stages * (n // 2)
    nodes = n - 1
    if design.reduction is Reduction.FAN:
        rn = (nodes * m.adder_node_mm2, nodes * m.adder_node_mw)
    elif design.reduction is Reduction.MERGER:
        rn = (nodes * (m.comparator_node_mm2 + 0.3 * m.adder_node_mm2),
              nodes * (m.comparator_node_mw + 0.3 * m.adder_node_mw))
    else:
        rn = (nodes * (m.comparator_node_mm2 + m.adder_node_mm2),
              nodes * (m.comparator_node_mw + m.adder_node_mw))
    mib = 1 << 20
    flexible = len(design.dataflows) > 1
    parts = {
        "DN": (switches * m.dn_switch_mm2, switches * m.dn_switch_mw),
        "MN": (n * m.multiplier_mm2, n * m.multiplier_mw),
        "RN": rn,
        "cache": (hw.cache_bytes / mib * m.sram_mm2_per_mib, hw.cache_bytes / mib *
                  m.sram_mw_per_mib),
        "PSRAM": (design.psram_bytes / mib * m.sram_mm2_per_mib,
                  design.psram_bytes / mib * m.sram_mw_per_mib),
        "controller": ((m.flexible_controller_mm2, m.flexible_controller_mw) if flexible
                       else (m.controller_mm2, m.controller_mw)),
    }
    out = {name: {"area_mm2": round(a, 5), "power_mw": round(p, 3)}
           for name, (a, p) in parts.items()}
    out["total"] = {"area_mm2": round(sum(a for a, _ in parts.values()), 5),
                    "power_mw": round(sum(p for _, p in parts.values()), 3)}
    return out
